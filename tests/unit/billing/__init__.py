"""Tests of services.billing: recurring invoices, auto-billing, the schedule, the run and its phases."""
