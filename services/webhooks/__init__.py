"""Stripe's webhooks: signatures checked, each event applied once, state only moving forward."""
