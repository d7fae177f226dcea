"""The statement email: the account summary, each invoice still open with its own
[View Invoice] code (the hosted page, the ssh command, as the invoice emails carry them), and
the statement as a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.console.statements import Statement
from services.dates import format_day
from services.emails.billing import Door, _page
from services.emails.message import Email
from services.emails.message import escape as _h
from services.money import format_money


@dataclass(frozen=True)
class OpenCode:
    """An invoice open now, and the code the email gives to open it."""

    number: str
    balance: int
    due_date: date
    code: str


def statement_subject(st: Statement) -> str:
    money = format_money(st.closing, st.currency, st.locale)
    return f"Statement from {st.business.name}: {money} due as of {format_day(st.end, st.locale)}"


def statement_email(
    st: Statement, codes: list[OpenCode], door: Door, pdf: bytes, more: int = 0
) -> Email:
    """The email of `st`, with a code for each of `codes` (`more`: open invoices left out)."""

    def money(amount: int) -> str:
        return format_money(amount, st.currency, st.locale)

    def day(value: date) -> str:
        return format_day(value, st.locale)

    business = st.business.name
    summary = [
        ("Balance on " + day(st.start), money(st.opening)),
        ("Invoiced", money(st.invoiced)),
        ("Paid", money(-st.paid)),
        ("Refunded", money(st.refunded)),
        *([("Voided", money(-st.voided))] if st.voided else []),
        ("Balance on " + day(st.end), money(st.closing)),
    ]
    width = max(len(label) for label, _ in summary)
    lines = [
        f"Hello {st.client.name},",
        "",
        f"Here is your statement from {business} for {day(st.start)} to {day(st.end)}.",
        "",
        *(f"  {label:<{width}}  {value}" for label, value in summary),
        "",
    ]
    if codes:
        lines += ["Open invoices:", ""]
        for item in codes:
            lines += [
                f"  {item.number}: {money(item.balance)}, due {day(item.due_date)}",
                f"  [View Invoice] {door.page(item.code)}",
                f"  or in a terminal: {door.command(item.code)}",
                "",
            ]
    if more:
        lines += [
            f"{more} more open invoice{'' if more == 1 else 's'}: log in with "
            f"{door.login_command()} and choose Invoices.",
            "",
        ]
    if not codes and not more:
        lines += ["Nothing is open: thank you.", ""]
    lines += ["The statement is attached as a PDF.", "", f"Thank you,\n{business}", ""]

    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0">{_h(label)}</td><td>{_h(value)}</td></tr>'
        for label, value in summary
    )
    invoices = "".join(
        f"<p><strong>{_h(item.number)}</strong>: {_h(money(item.balance))}, due "
        f"{_h(day(item.due_date))}<br>"
        f'<a href="{_h(door.page(item.code))}" style="display:inline-block;background:#1f6feb;'
        "color:#fff;padding:6px 14px;border-radius:6px;text-decoration:none;font-weight:bold"
        f'">View Invoice</a><br>or in a terminal: <code>{_h(door.command(item.code))}</code></p>'
        for item in codes
    )
    body = (
        f"<p>Hello {_h(st.client.name)},</p>"
        f"<p>Here is your statement from {_h(business)} for {_h(day(st.start))} to "
        f"{_h(day(st.end))}.</p>"
        f'<table style="border-collapse:collapse;margin:8px 0">{rows}</table>'
        + (f"<p>Open invoices:</p>{invoices}" if codes else "")
        + (
            f"<p>{more} more open invoice{'' if more == 1 else 's'}: log in with "
            f"<code>{_h(door.login_command())}</code> and choose Invoices.</p>"
            if more
            else ""
        )
        + "<p>The statement is attached as a PDF.</p>"
        f"<p>Thank you,<br>{_h(business)}</p>"
    )
    name = f"statement-{st.end.isoformat()}.pdf"
    return Email(statement_subject(st), "\n".join(lines), _page(business, body),
                 ((name, "application/pdf", pdf),))  # fmt: skip
