"""The run's generate and email phases in batches (tiny batches here, so every boundary is
crossed): numbers gap-free and in order, one invoice and one email per period, schedules
advanced, codes and audit rows written for each — on a real database and Maildir."""

from __future__ import annotations

from collections import Counter
from datetime import date

from models import (
    AccessCode,
    AuditLog,
    Business,
    EmailLog,
    Invoice,
    InvoiceBilling,
    InvoiceLine,
    RecurringInvoice,
)
from services.billing.phases.email import InvoiceEmails
from services.billing.phases.generate import Generator
from services.emails.billing import Door
from services.invoices.views import LineInput

AS_OF = date(2026, 4, 30)


def _plans(shop, count=3, **kw):
    return [
        shop.services.recurring.add(
            shop.client_id,
            f"Plan {n}",
            "monthly",
            date(2026, 1, 31),
            [LineInput(f"Support {n}", 10_000 + n, 1500, 825), LineInput("Backup", 500)],
            **kw,
        ).view.id
        for n in range(count)
    ]


def _today(shop):
    return {shop.business_id: AS_OF}


def test_generate_in_batches_numbers_each_period_once_in_order(shop):
    plans = _plans(shop)
    result = Generator(shop.services.invoices, batch=2).run(list(Business.select()), _today(shop))
    assert result.generated == 12 and result.errors == []
    invoices = list(Invoice.select().order_by(Invoice.id))
    # gap-free, in the order the run always used: each schedule's periods, one after another
    assert [i.number for i in invoices] == [f"INV-{n:04d}" for n in range(1, 13)]
    assert [(i.recurring_id, i.period_start) for i in invoices] == [
        (plan, day)
        for plan in plans
        for day in (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30))
    ]
    assert Business.get_by_id(shop.business_id).next_invoice_number == 13
    # totals as InvoiceService.create computes them; lines, billing and audit rows for each
    first = shop.services.invoices.get(invoices[0].id)
    assert (first.subtotal, first.tax_total, first.total) == (15_500, 1_238, 16_738)
    assert [ln.description for ln in first.lines] == ["Support 0", "Backup"]
    assert first.notes == "Plan 0: Jan 31, 2026 to Feb 27, 2026."
    assert InvoiceLine.select().count() == 24
    assert InvoiceBilling.select().where(InvoiceBilling.charge_state == "scheduled").count() == 12
    created = AuditLog.select().where(AuditLog.action == "invoice.created")
    assert sorted(a.subject for a in created) == [i.number for i in invoices]
    assert all(r.next_date == date(2026, 5, 31) for r in RecurringInvoice.select())
    assert all(r.generated_count == 4 for r in RecurringInvoice.select())
    # a second pass finds nothing due
    again = Generator(shop.services.invoices, batch=2).run(list(Business.select()), _today(shop))
    assert again.generated == 0 and Invoice.select().count() == 12


def test_generate_honours_counts_and_skips_periods_already_made(shop):
    [capped] = _plans(shop, count=1, max_count=3)
    _plans(shop, count=1)
    Generator(shop.services.invoices, batch=5).run(list(Business.select()), _today(shop))
    assert RecurringInvoice.get_by_id(capped).status == "ended"
    assert Invoice.select().where(Invoice.recurring == capped).count() == 3
    assert Invoice.select().count() == 3 + 4
    # a schedule moved back (an admin's repair): the periods it already has are skipped
    RecurringInvoice.update(next_date=date(2026, 2, 28), generated_count=1).where(
        RecurringInvoice.id != capped
    ).execute()
    result = Generator(shop.services.invoices, batch=2).run(list(Business.select()), _today(shop))
    assert result.generated == 0 and Invoice.select().count() == 7
    periods = Counter((i.recurring_id, i.period_start) for i in Invoice.select())
    assert set(periods.values()) == {1}
    assert RecurringInvoice.get(RecurringInvoice.id != capped).next_date == date(2026, 5, 31)
    numbers = sorted(int(i.number[4:]) for i in Invoice.select())
    assert numbers == list(range(1, 8))  # no number taken by a skipped period


def test_email_in_batches_sends_each_invoice_once_with_its_code(shop):
    _plans(shop, count=2)
    Generator(shop.services.invoices).run(list(Business.select()), _today(shop))
    mailer = shop.services.mailer
    emails = InvoiceEmails(mailer, shop.services.codes, Door("billing.example.com"), batch=3)
    result = emails.run()
    assert (result.sent, result.failed, result.errors) == (8, 0, [])
    messages = mailer.outbox_messages()
    subjects = Counter(m["Subject"] for m in messages)
    assert len(subjects) == 8 and set(subjects.values()) == {1}
    assert {r.event_key for r in EmailLog.select()} == {f"invoice:{i.id}" for i in Invoice.select()}
    assert all(r.status == "sent" and r.message_id for r in EmailLog.select())
    assert InvoiceBilling.select().where(InvoiceBilling.emailed_at.is_null()).count() == 0
    # each email's code opens its own invoice, and each code's creation is audited
    for msg in messages:
        text = msg.get_body(("plain",)).get_content()
        code = text.split("invoice code: ")[1].split()[0]
        number = msg["Subject"].split()[1]
        access = shop.services.codes.verify(code)
        assert access is not None and Invoice.get_by_id(access.invoice_id).number == number
        [pdf] = list(msg.iter_attachments())
        assert pdf.get_filename() == f"{number}.pdf" and pdf.get_content()[:5] == b"%PDF-"
    assert AccessCode.select().count() == 8
    assert AuditLog.select().where(AuditLog.action == "access_code.created").count() == 8
    # nothing is sent twice: the next pass finds every invoice emailed
    assert emails.run().sent == 0 and len(mailer.outbox_messages()) == 8


def test_an_email_already_claimed_is_left_to_its_claimer(shop):
    _plans(shop, count=1)
    Generator(shop.services.invoices).run(list(Business.select()), _today(shop))
    invoices = list(Invoice.select().order_by(Invoice.id))
    # another pass is sending the first one right now (its row is pending)
    EmailLog.create(event_key=f"invoice:{invoices[0].id}", to="x", subject="y", status="pending")
    result = InvoiceEmails(
        shop.services.mailer, shop.services.codes, Door("billing.example.com"), batch=2
    ).run()
    assert result.sent == 3
    assert len(shop.services.mailer.outbox_messages()) == 3
    billing = InvoiceBilling.get(InvoiceBilling.invoice == invoices[0].id)
    assert billing.emailed_at is None and billing.email_error == "not confirmed yet"
    assert AccessCode.select().where(AccessCode.invoice == invoices[0].id).count() == 0


def test_pdfs_drawn_on_a_second_core_are_each_invoice_s_own(shop):
    """With a PDF worker (and enough invoices to use it), every email still carries its own
    invoice's PDF, whichever process drew it."""
    import io

    from pypdf import PdfReader

    from services.invoices.pdf_pool import MIN_JOBS

    for n in range(2):
        shop.services.recurring.add(
            shop.client_id, f"Weekly {n}", "weekly", date(2026, 1, 1), [LineInput("Ops", 700 + n)]
        )
    Generator(shop.services.invoices).run(list(Business.select()), _today(shop))
    count = Invoice.select().count()
    assert count >= MIN_JOBS + 8
    emails = InvoiceEmails(
        shop.services.mailer, shop.services.codes, Door("billing.example.com"), pdf_workers=1
    )
    assert emails.run().sent == count
    assert 0 < emails.pdfs.pooled < count  # both processes drew some
    for msg in shop.services.mailer.outbox_messages():
        number = msg["Subject"].split()[1]
        [attachment] = list(msg.iter_attachments())
        page = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
        assert number in page and Invoice.get(Invoice.number == number).notes[:8] in page


def test_a_batch_with_many_lines_is_generated(shop):
    """A full batch (200 invoices) of 50-line invoices: 10,000 lines, more values than one
    PostgreSQL statement can carry (65,535); the batch must still be issued."""
    lines = [LineInput(f"Device {n}", 1_000 + n) for n in range(50)]
    shop.services.recurring.add(shop.client_id, "Per device", "weekly", date(2022, 6, 6), lines)
    result = Generator(shop.services.invoices).run(list(Business.select()), _today(shop))
    assert result.errors == []
    assert result.generated == Invoice.select().count() > 200
    assert InvoiceLine.select().count() == 50 * result.generated
