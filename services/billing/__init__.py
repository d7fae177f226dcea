"""Billing: recurring invoices, the auto-bill policy, schedules, auto-charging and `paydesk run`."""
