"""The business, in plain Python (never Textual): one sub-package per area, shared pieces on top.

accounts (logins, recovery, passwords, access codes, throttling) · clients · invoices (service,
PDF) · payments (the exactly-once pay path, ledger, settling, declines, cards, refunds, receipts)
· stripe_client (lazy client, rate limit, sandbox) · billing (recurring, auto-bill policy,
schedule, auto-charge, failures, the run's phases) · mail (transport) · emails (every email's
text). On top: money, audit, config, errors, faults, demo, and the container that builds them.
Inside, dependencies point one way: billing → payments → stripe_client, mail.
"""
