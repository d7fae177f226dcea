"""Control characters: refused when typed (invoice lines, notes, client and contact names,
recurring invoices), shown as symbols when stored anyway (the views the kiosk, the CLI, the
emails and the PDF draw from)."""

from datetime import date

import pytest

from models import Business, Client, InvoiceLine
from models import Invoice as InvoiceRow
from services.billing.recurring import RecurringError, RecurringService
from services.clients.clients import ClientChanges, ClientError, ClientService
from services.invoices.invoices import InvoiceError, InvoiceService
from services.invoices.pdf import _t
from services.invoices.views import LineInput

OSC52 = "\x1b]52;c;cHduZWQ=\x07"
TITLE = "\x1b]0;pwned\x07"
ESC_OR_BEL = ("\x1b", "\x07", "\x9b", "\x9d")


def _clean(text: str) -> bool:
    return not any(c in text for c in ESC_OR_BEL)


def test_invoice_lines_and_notes_with_control_characters_are_refused(client):
    service = InvoiceService()
    with pytest.raises(InvoiceError, match=r"^line 2: holds a control character \(ESC\)"):
        service.create(
            client.id, [LineInput("Fine", 100), LineInput(f"x{OSC52}", 100)], date.today()
        )
    with pytest.raises(InvoiceError, match=r"^notes: holds a control character \(ESC\)"):
        service.create(client.id, [LineInput("Fine", 100)], date.today(), notes=TITLE)
    kept = service.create(client.id, [LineInput("Fine", 100)], date.today(), notes="two\nlines")
    assert kept.notes == "two\nlines"
    assert InvoiceRow.select().count() == 1


def test_names_with_control_characters_are_refused(accounts, business, client, mailer):
    clients = ClientService(accounts)
    with pytest.raises(ClientError, match="^name: holds a control character"):
        clients.create(business.id, f"Evil{TITLE}", "evil@example.com")
    with pytest.raises(ClientError, match="^address: holds a control character"):
        clients.edit(client.id, ClientChanges(address=f"1 Main St\n{OSC52}"), actor="cli")
    clients.edit(client.id, ClientChanges(address="1 Main St\nSpringfield"), actor="cli")
    with pytest.raises(RecurringError, match="^line 1: holds a control character"):
        RecurringService(mailer).add(
            client.id, "Plan", "monthly", date(2026, 1, 31), [LineInput(f"a{TITLE}", 100)]
        )
    assert Client.select().count() == 1


def test_stored_control_characters_are_shown_as_symbols(client):
    detail = InvoiceService().create(client.id, [LineInput("Support", 100)], date.today())
    # Written past the input checks (an older row, an import, another program).
    InvoiceLine.update(description=f"Support {OSC52}").execute()
    InvoiceRow.update(notes=f"Thanks{TITLE}\nsee you").execute()
    Client.update(name=f"Acme{TITLE}", address=f"1 Main St\n{OSC52}").execute()
    Business.update(name="Desk\x9b2J").execute()

    shown = InvoiceService().get(detail.id)
    assert shown.lines[0].description == "Support ␛]52;c;cHduZWQ=␇"
    assert shown.notes == "Thanks␛]0;pwned␇\nsee you"  # the note keeps its lines
    for text in (shown.client.name, shown.client.address, shown.business.name):
        assert _clean(text), text
    assert _clean(_t(f"x{OSC52}"))  # the PDF's own text funnel
