"""The emails the billing run sends: new invoice, failed charge, action needed, reminders.

Every email has a plain-text and an HTML part. The new-invoice email carries the
[View Invoice] button (the hosted invoice page, `PAYDESK_PUBLIC_URL/i/CODE`, which every mail
program opens), the kiosk's `ssh://view-CODE@HOST` link and the same as a command to copy,
the code itself, and the invoice as a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.dates import format_day
from services.emails.message import Email
from services.emails.message import escape as _h
from services.invoices.discount import discount_label
from services.invoices.views import InvoiceDetail
from services.money import format_money
from services.settings.store import effective


@dataclass(frozen=True)
class AutobillNotice:
    """How the invoice will be paid automatically: when, and with which card ("" = none)."""

    charge_on: date
    card_label: str


@dataclass(frozen=True)
class Door:
    """Where the kiosk is: the SSH host (and port, when not 22); and the web side's URL."""

    host: str
    port: int | None = None
    web: str = ""  # PAYDESK_PUBLIC_URL; "" = no web side, the button is the ssh link

    def page(self, code: str) -> str:
        """What [View Invoice] opens: the hosted invoice page (or the ssh link without one)."""
        return f"{self.web.rstrip('/')}/i/{code}" if self.web else self.link(code)

    @classmethod
    def of(cls, config) -> Door:
        """The door the configuration names: `ssh_host`, `ssh_port` and the web side."""
        return cls(config.ssh_host, config.ssh_port, config.public_url)

    @classmethod
    def stored(cls, config) -> Door:
        """The door emails name: the console's stored SSH host and port, else the
        configuration's (one query: not on an event loop)."""
        now = effective(config)
        return cls(now.ssh_host, now.ssh_port, config.public_url)

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
    return format_day(day)


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
            "Open the invoice with this command in a terminal:\n"
            f"    {door.command(code)}\n"
            f"or log in with {door.login_command()} and choose Invoices, then Pay Now.\n"
            f"Invoice code: {code}"
        )
    return f"Log in with {door.login_command()}, choose Invoices, then Pay Now."


def invoice_subject(
    invoice: InvoiceDetail, money: str | None = None, today: date | None = None
) -> str:
    """ "Invoice INV-0001 from Business: $350.63 due Feb 14, 2026" (or "past due since …"
    when its due date is before `today`)."""
    money = money or _amount(invoice)
    due = _d(invoice.due_date)
    when = f"past due since {due}" if _past_due(invoice, today) else f"due {due}"
    return f"Invoice {invoice.number} from {invoice.business.name}: {money} {when}"


def _past_due(invoice: InvoiceDetail, today: date | None) -> bool:
    return today is not None and invoice.due_date < today


def new_invoice_email(
    invoice: InvoiceDetail,
    code: str,
    door: Door,
    pdf: bytes,
    autobill: AutobillNotice | None = None,
    today: date | None = None,
) -> Email:
    """The invoice email; one whose due date is before `today` (a back-filled or caught-up
    period) says it is past due, and never promises a charge on a date gone by."""
    money = _amount(invoice)
    business = invoice.business.name
    subject = invoice_subject(invoice, money, today)
    past_due = _past_due(invoice, today)
    charge_on = autobill.charge_on if autobill else None
    if autobill and today is not None and autobill.charge_on <= today:
        charge_on = today  # the pass charges it right after this email
    when = "today" if charge_on == today else f"on {_d(charge_on)}" if charge_on else ""
    if autobill and autobill.card_label:
        auto_text = (
            f"Automatic payment is on: we will charge {money} to your {autobill.card_label} "
            f"{when}. There is nothing for you to do."
        )
        if charge_on != today:
            auto_text += (
                " To pay another way or turn automatic payment off, log in to the billing "
                "kiosk before then."
            )
    elif autobill:
        auto_text = "Automatic payment is on, but you have no saved card: " + (
            "please pay the invoice in the billing kiosk (you can save a card there)."
            if charge_on == today
            else f"add one in the billing kiosk before {_d(autobill.charge_on)}, or pay the "
            "invoice there."
        )
    else:
        auto_text = ""
    ready = (
        f"Your invoice {invoice.number} from {business} was due on {_d(invoice.due_date)} "
        "and is past due."
        if past_due
        else f"Your invoice {invoice.number} from {business} is ready."
    )
    discount = _discount(invoice) if invoice.discount_total else ""
    lines = [
        f"Hello {invoice.client.name},",
        "",
        ready,
        "",
        f"  Amount due: {money}",
        *([f"  {discount}"] if discount else []),
        f"  Due date:   {_d(invoice.due_date)}" + (" (past due)" if past_due else ""),
        "",
    ]
    if auto_text:
        lines += [auto_text, ""]
    lines += [
        *_view_text(door, code),
        "",
        "The invoice is attached as a PDF.",
        "",
        f"Thank you,\n{business}",
        "",
    ]
    text = "\n".join(lines)
    discount_row = f"<tr><td colspan=2>{_h(discount)}</td></tr>" if discount else ""
    body = (
        f"<p>Hello {_h(invoice.client.name)},</p>"
        f"<p>{_h(ready)}</p>"
        '<table style="border-collapse:collapse;margin:8px 0">'
        f'<tr><td style="padding:2px 12px 2px 0">Amount due</td><td><strong>{_h(money)}'
        "</strong></td></tr>"
        + discount_row
        + f'<tr><td style="padding:2px 12px 2px 0">Due date</td><td>{_h(_d(invoice.due_date))}'
        + (" (past due)" if past_due else "")
        + "</td></tr></table>"
        + (f"<p>{_h(auto_text)}</p>" if auto_text else "")
        + _view_html(door, code)
        + "<p>The invoice is attached as a PDF.</p>"
        f"<p>Thank you,<br>{_h(business)}</p>"
    )
    return Email(
        subject,
        text,
        _page(business, body),
        ((f"{invoice.number}.pdf", "application/pdf", pdf),),
    )


def _view_text(door: Door, code: str) -> list[str]:
    """The [View Invoice] link (the hosted page), the kiosk's ssh link, the command to copy
    and the code, as text lines."""
    lines = [f"[View Invoice] {door.page(code)}", ""]
    if door.web:
        lines += [f"In the billing kiosk: {door.link(code)}"]
    return [
        *lines,
        "If that link does not open, copy this command into a terminal:",
        f"    {door.command(code)}",
        "",
        f"Or log in with {door.login_command()} and type this invoice code: {code}",
    ]


def _view_html(door: Door, code: str) -> str:
    """The [View Invoice] button (the hosted page), the kiosk's ssh link, the command to copy
    and the code, as HTML."""
    kiosk = door.link(code)
    in_kiosk = f'<p>In the billing kiosk: <a href="{_h(kiosk)}">{_h(kiosk)}</a></p>'
    return (
        f'<p><a href="{_h(door.page(code))}" style="display:inline-block;background:#1f6feb;'
        "color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:bold"
        '">View Invoice</a></p>'
        + (in_kiosk if door.web else "")
        + "<p>If that link does not open, copy this command into a terminal:</p>"
        f'<pre style="background:#f2f4f7;padding:8px">{_h(door.command(code))}</pre>'
        f"<p>Or log in with <code>{_h(door.login_command())}</code> and type this invoice code: "
        f"<code>{_h(code)}</code></p>"
    )


def _simple(business: str, subject: str, paragraphs: list[str]) -> Email:
    text = "\n\n".join(paragraphs) + f"\n\n{business}\n"
    body = "".join(f"<p>{_h(p)}</p>" for p in paragraphs)
    return Email(subject, text, _page(business, body))


def _discount(invoice: InvoiceDetail) -> str:
    """The discount the amount due includes: "Includes a discount of $15.00 (10%)"."""
    off = format_money(invoice.discount_total, invoice.currency, invoice.locale)
    label = discount_label(invoice.discount).removeprefix("Discount").strip()
    return f"Includes a discount of {off}" + (f" {label}" if label else "")


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


def action_needed_email(
    invoice: InvoiceDetail, card: str, door: Door, code: str | None = None
) -> Email:
    money = _amount(invoice)
    finish = (
        f"Complete the payment on the invoice page, where your bank can ask you to confirm: "
        f"{door.page(code)}"
        if code and door.web
        else "We will not try again automatically. Please pay the invoice in the billing "
        "kiosk, where your bank can ask you to confirm."
    )
    return _invoice_notice(
        invoice,
        door,
        f"Action needed: confirm the payment of invoice {invoice.number} ({money})",
        [
            f"Your bank wants you to confirm the payment of {money} for invoice "
            f"{invoice.number} with your {card or 'card'}, so we could not charge it "
            "automatically.",
            finish,
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


def days_overdue(due: date, today: date) -> str:
    """ "1 day overdue", "45 days overdue": from the due date and the business's today."""
    late = (today - due).days
    return f"{late} day{'' if late == 1 else 's'} overdue"


def overdue_email(invoice: InvoiceDetail, today: date, door: Door, code: str) -> Email:
    """A reminder: how overdue the invoice really is, and its [View Invoice] code."""
    money = _amount(invoice)
    business = invoice.business.name
    age = days_overdue(invoice.due_date, today)
    paragraphs = [
        f"Hello {invoice.client.name},",
        f"Invoice {invoice.number} for {money} was due on {_d(invoice.due_date)} and is "
        f"still unpaid ({age}).",
        "If you have already paid, thank you, and please ignore this reminder.",
    ]
    text = "\n\n".join(paragraphs) + "\n\n" + "\n".join(_view_text(door, code))
    body = "".join(f"<p>{_h(p)}</p>" for p in paragraphs) + _view_html(door, code)
    return Email(
        f"Reminder: invoice {invoice.number} ({money}) is {age}",
        text + f"\n\n{business}\n",
        _page(business, body),
    )
