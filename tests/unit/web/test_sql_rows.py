"""Rows of hand-written statements read back as Peewee models: the same as Peewee's reads."""

from __future__ import annotations

from datetime import date

from models import AccessCode, Business, CardLink, Client, Invoice, InvoiceLine, run_sql
from services.invoices.views import LineInput
from services.sql_rows import as_model, columns_of


def test_as_model_reads_what_peewee_reads(shop):
    services = shop.services
    detail = services.invoices.create(
        shop.client_id, [LineInput("Support", 12_500, 1000)], date(2026, 3, 1)
    )
    services.codes.create(detail.id)
    services.card_links.create(shop.client_id)
    for model in (Invoice, Business, Client, InvoiceLine, AccessCode, CardLink):
        table = model._meta.table_name
        stored = model.select().order_by(model.id).first()
        row = run_sql(
            f"SELECT {columns_of(model, 't')} FROM {table} t WHERE t.id = ?", (stored.id,)
        )
        read = as_model(model, row.fetchone())
        assert read.__data__ == stored.__data__, model  # values and types (dates, times)
        assert not read._dirty and read.id == stored.id
