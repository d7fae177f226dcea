"""Tests of services.invoices: the invoice service and its PDF."""
