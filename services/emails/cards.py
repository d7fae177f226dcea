"""Emails about saved cards that Stripe changed (for the owner)."""

from __future__ import annotations

from services.emails.message import Email, escape


def autobilled_card_gone_email(business: str, client: str, card: str, replacement: str) -> Email:
    """To the owner: a client whose invoices are charged automatically lost the card."""
    subject = f"{client}: the card for automatic charges was removed"
    after = (
        f"Automatic charges now use {replacement}."
        if replacement
        else "They have no other saved card: their next automatic charge will ask them to add one."
    )
    paragraphs = [
        f"Stripe reports that {client}'s card {card} was removed (by the client, the bank "
        "or Stripe), so paydesk no longer charges it.",
        after,
    ]
    text = "\n\n".join(paragraphs) + f"\n\n{business}\n"
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = f"<html><body>{body}<p>{escape(business)}</p></body></html>"
    return Email(subject, text, html)
