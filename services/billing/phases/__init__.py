"""The phases of one `paydesk run` pass, in order, each with plan() (the dry run) and run().

reconcile.py (settle what a crash left open) · generate.py (issue due invoices; its rules in
generate_due.py, its batch writes in generate_rows.py) · email.py (email new invoices) ·
charge.py (auto-charge what is due; its emails in charge_notices.py) · remind.py (expiring
cards, overdue invoices). context.py is what they share in a pass; tally.py counts charges.
"""
