# SPDX-License-Identifier: GPL-3.0-or-later
"""paydesk's Stripe sandbox: a small launcher around localstripe (GPL), run as its own process.

Nothing in paydesk imports this package; paydesk starts it with
`python -m sandbox.localstripe_launcher` and talks to it over HTTP only.
"""
