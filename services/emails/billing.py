"""The emails the billing run sends: new invoice, failed charge, action needed, reminders.

Every email has a plain-text and an HTML part. The new-invoice email carries the
[View Invoice] button (an `ssh://view-CODE@HOST` link), the same as a command to copy, the
code itself, and the invoice as a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.emails.message import Email
from services.emails.message import escape as _h
from services.invoices.views import InvoiceDetail
from services.money import format_money


@dataclass(frozen=True)
class AutobillNotice:
    """How the invoice will be paid automatically: when, and with which card ("" = none)."""

    charge_on: date
    card_label: str


@dataclass(frozen=True)
class Door:
    """Where the kiosk is: the SSH host (and port, when not 22)."""

    host: str
    port: int | None = None

    def link(self, code: str) -> str:
        port = f":{self.port}" if self.port and self.port != 22 else ""
        return f"ssh://view-{code}@{self.host}{port}"

    def command(self, code: str) -> str:
        port = f"-p {self.port} " if self.port and self.port != 22 else ""
        return f"ssh -t {port}{self.host} view {code}"

    def login_command(self) -> str:
        port = f"-p {self.port} " if self.port and self.port != 22 else ""
        return f"ssh {port}{self.host}"


def _d(day: date) -> str:
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def _page(business: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html><body style="font-family:Helvetica,Arial,sans-serif;'
        'color:#1d2733;max-width:560px;margin:0 auto;padding:16px">'
        f'<p style="font-size:18px;font-weight:bold">{_h(business)}</p>{body}'
        f'<p style="color:#6b7785;font-size:12px">{_h(business)} · sent by paydesk</p>'
        "</body></html>"
    )


def how_to_pay_text(door: Door, code: str | None = None) -> str:
    if code:
        return (
            f"Open the invoice in a terminal: {door.command(code)}\n"
            f"or log in with {door.login_command()} and choose Invoices, then Pay Now.\n"
            f"Invoice code: {code}"
        )
    return f"Log in with {door.login_command()}, choose Invoices, then Pay Now."


def invoice_subject(invoice: InvoiceDetail, money: str | None = None) -> str:
    """ "Invoice INV-0001 from Business: $350.63 due Feb 14, 2026" """
    money = money or _amount(invoice)
    due = f"{invoice.due_date:%b} {invoice.due_date.day}, {invoice.due_date.year}"
    return f"Invoice {invoice.number} from {invoice.business.name}: {money} due {due}"


def new_invoice_email(
    invoice: InvoiceDetail,
    code: str,
    door: Door,
    pdf: bytes,
    autobill: AutobillNotice | None = None,
) -> Email:
    money = _amount(invoice)
    business = invoice.business.name
    subject = invoice_subject(invoice, money)
    link, command = door.link(code), door.command(code)
    if autobill and autobill.card_label:
        auto_text = (
            f"Automatic payment is on: we will charge {money} to your {autobill.card_label} "
            f"on {_d(autobill.charge_on)}. There is nothing for you to do. To pay another way "
            "or turn automatic payment off, log in to the billing kiosk before then."
        )
    elif autobill:
        auto_text = (
            "Automatic payment is on, but you have no saved card: add one in the billing kiosk "
            f"before {_d(autobill.charge_on)}, or pay the invoice there."
        )
    else:
        auto_text = ""
    lines = [
        f"Hello {invoice.client.name},",
        "",
        f"Your invoice {invoice.number} from {business} is ready.",
        "",
        f"  Amount due: {money}",
        f"  Due date:   {_d(invoice.due_date)}",
        "",
    ]
    if auto_text:
        lines += [auto_text, ""]
    lines += [
        f"[View Invoice] {link}",
        "",
        "If the link does not open, copy this command into a terminal:",
        f"    {command}",
        "",
        f"Or log in with {door.login_command()} and type this invoice code: {code}",
        "",
        "The invoice is attached as a PDF.",
        "",
        f"Thank you,\n{business}",
        "",
    ]
    text = "\n".join(lines)
    body = (
        f"<p>Hello {_h(invoice.client.name)},</p>"
        f"<p>Your invoice <strong>{_h(invoice.number)}</strong> from {_h(business)} is ready.</p>"
        '<table style="border-collapse:collapse;margin:8px 0">'
        f'<tr><td style="padding:2px 12px 2px 0">Amount due</td><td><strong>{_h(money)}'
        "</strong></td></tr>"
        f'<tr><td style="padding:2px 12px 2px 0">Due date</td><td>{_h(_d(invoice.due_date))}'
        "</td></tr></table>"
        + (f"<p>{_h(auto_text)}</p>" if auto_text else "")
        + f'<p><a href="{_h(link)}" style="display:inline-block;background:#1f6feb;color:#fff;'
        'padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:bold">'
        "View Invoice</a></p>"
        "<p>If the button does not open, copy this command into a terminal:</p>"
        f'<pre style="background:#f2f4f7;padding:8px">{_h(command)}</pre>'
        f"<p>Or log in with <code>{_h(door.login_command())}</code> and type this invoice code: "
        f"<code>{_h(code)}</code></p>"
        "<p>The invoice is attached as a PDF.</p>"
        f"<p>Thank you,<br>{_h(business)}</p>"
    )
    return Email(
        subject,
        text,
        _page(business, body),
        ((f"{invoice.number}.pdf", "application/pdf", pdf),),
    )


def _simple(business: str, subject: str, paragraphs: list[str]) -> Email:
    text = "\n\n".join(paragraphs) + f"\n\n{business}\n"
    body = "".join(f"<p>{_h(p)}</p>" for p in paragraphs)
    return Email(subject, text, _page(business, body))


def _amount(invoice: InvoiceDetail) -> str:
    """What the invoice still asks for, in its currency and locale."""
    return format_money(invoice.balance, invoice.currency, invoice.locale)


def _invoice_notice(
    invoice: InvoiceDetail, door: Door, subject: str, paragraphs: list[str]
) -> Email:
    """A plain email about one invoice: hello, `paragraphs`, then how to pay it."""
    return _simple(
        invoice.business.name,
        subject,
        [f"Hello {invoice.client.name},", *paragraphs, how_to_pay_text(door)],
    )


def charge_failed_email(
    invoice: InvoiceDetail,
    card: str,
    reason: str,
    door: Door,
    next_try: date | None,
    final: bool,
) -> Email:
    money = _amount(invoice)
    what_next = (
        f"We will try the card again on {_d(next_try)}. To avoid that, pay now in the billing "
        "kiosk with another card, or update your card there."
        if next_try
        else "We will not try this card again. Please pay in the billing kiosk, with another "
        "card if needed."
    )
    if final and not next_try:
        what_next = (
            "That was the last automatic attempt. Please pay in the billing kiosk, with another "
            "card if needed."
        )
    return _invoice_notice(
        invoice,
        door,
        f"Payment failed: invoice {invoice.number} ({money})",
        [
            f"We could not charge {money} to your {card or 'card'} for invoice "
            f"{invoice.number}. The bank said: {reason}",
            what_next,
        ],
    )


def action_needed_email(invoice: InvoiceDetail, card: str, door: Door) -> Email:
    money = _amount(invoice)
    return _invoice_notice(
        invoice,
        door,
        f"Action needed: confirm the payment of invoice {invoice.number} ({money})",
        [
            f"Your bank wants you to confirm the payment of {money} for invoice "
            f"{invoice.number} with your {card or 'card'}, so we could not charge it "
            "automatically.",
            "We will not try again automatically. Please pay the invoice in the billing "
            "kiosk, where your bank can ask you to confirm.",
        ],
    )


def no_card_email(invoice: InvoiceDetail, door: Door) -> Email:
    money = _amount(invoice)
    return _invoice_notice(
        invoice,
        door,
        f"Invoice {invoice.number} ({money}) could not be paid automatically",
        [
            f"Automatic payment is on for invoice {invoice.number}, but you have no saved "
            "card, so we could not charge it.",
            "Please pay it in the billing kiosk; you can save a card there for next time.",
        ],
    )


def card_expiring_email(
    business: str, client_name: str, card: str, expires: str, charge_on: date, door: Door
) -> Email:
    return _simple(
        business,
        f"Your {card} expires before your next automatic payment",
        [
            f"Hello {client_name},",
            f"Your {card} expires at the end of {expires}, before your next automatic "
            f"payment on {_d(charge_on)}.",
            "Please add your new card in the billing kiosk (Saved cards) and make it the "
            "default, so the payment goes through.",
            f"Log in with {door.login_command()}.",
        ],
    )


def overdue_email(invoice: InvoiceDetail, days: int, door: Door) -> Email:
    money = _amount(invoice)
    return _invoice_notice(
        invoice,
        door,
        f"Reminder: invoice {invoice.number} ({money}) is {days} days overdue",
        [
            f"Invoice {invoice.number} for {money} was due on {_d(invoice.due_date)} and is "
            "still unpaid.",
            "If you have already paid, thank you, and please ignore this reminder.",
        ],
    )
