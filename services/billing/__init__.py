"""Billing: recurring invoices, auto-bill policy, schedules, auto-charging, failures, the run."""
