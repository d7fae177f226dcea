"""The card page's hand-written statement (models.run_sql).

A page GET is one statement written out: through Peewee's query compiler the three reads it
replaced cost ≈ 1.5 ms of a GET's ≈ 2 ms (bench/web.py, 50 clients), running them ≈ 10 µs.
"""

from __future__ import annotations

from models import CardLink, run_sql
from services.sql_rows import as_model, columns_of

_PAGE = (
    f"SELECT {columns_of(CardLink, 'l')}, c.name, b.name FROM card_link l"
    " JOIN client c ON c.id = l.client_id JOIN business b ON b.id = c.business_id"
    " WHERE l.token_hash = ?"
)


def link_for_page(token_digest: str) -> tuple[CardLink, str, str] | None:
    """(the link, its business's name, its client's name) for a token's digest, or None."""
    row = run_sql(_PAGE, (token_digest,)).fetchone()
    if row is None:
        return None
    count = len(CardLink._meta.sorted_fields)
    return as_model(CardLink, row), row[count + 1], row[count]
