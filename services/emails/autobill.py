"""The email that confirms a client's auto-bill change (on or off) for one recurring invoice."""

from __future__ import annotations

from services.emails.message import Email


def autobill_changed_email(
    business_name: str,
    description: str,
    amount: str,
    frequency_label: str,
    card_label: str,
    enabled: bool,
) -> Email:
    """Plain text only; `card_label` is "" when the client has no saved card."""
    if enabled:
        subject = f"Automatic payment turned on: {description}"
        body = (
            f'Automatic payment is now ON for "{description}" ({amount}, '
            f"{frequency_label.lower()}).\n\n"
            + (
                f"Each invoice will be charged to your {card_label} on its due date.\n"
                if card_label
                else "You have no saved card yet: add one in the billing kiosk, or each "
                "invoice will wait for you to pay it.\n"
            )
        )
    else:
        subject = f"Automatic payment turned off: {description}"
        body = (
            f'Automatic payment is now OFF for "{description}" ({amount}).\n\n'
            "We will email each invoice; pay it in the billing kiosk by its due date.\n"
        )
    body += (
        "\nYou can change this at any time under Recurring invoices in the kiosk.\n"
        "If you did not make this change, reply to this email.\n"
    )
    return Email(f"{business_name}: {subject}", body, "")


def autobill_overridden_email(
    business_name: str,
    description: str,
    amount: str,
    client_chose: bool,
    now_on: bool,
    card_label: str,
) -> Email:
    """We changed a plan's automatic payment against the client's own choice: say so."""
    chose = "on" if client_chose else "off"
    state = "ON" if now_on else "OFF"
    subject = f"Automatic payment now {state.lower()} for {description}: set by us"
    body = (
        f'You had turned automatic payment {chose} for "{description}" ({amount}).\n'
        f"We have changed this plan's billing: automatic payment is now {state} and is set "
        "by us, so it can no longer be switched in the kiosk.\n\n"
    )
    if now_on:
        body += (
            f"Each invoice will be charged to your {card_label} on its due date.\n"
            if card_label
            else "You have no saved card yet: add one in the billing kiosk, or each invoice "
            "will wait for you to pay it.\n"
        )
    else:
        body += "We will email each invoice; pay it in the billing kiosk by its due date.\n"
    body += "\nIf you did not expect this change, reply to this email.\n"
    return Email(f"{business_name}: {subject}", body, "")
