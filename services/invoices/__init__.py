"""Invoices: numbering, totals, statuses and balances; the invoice PDF and its worker pool."""
