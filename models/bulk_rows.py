"""Writing many rows in one statement, and chunking long lists.

The billing run writes hundreds of rows per transaction; one `insert_many` replaces
hundreds of statements (Peewee's query compilation costs more than the statement itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from models import BaseModel, db, is_sqlite

T = TypeVar("T")
MAX_PARAMS = 30_000  # values per INSERT statement


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for first in range(0, len(items), size):
        yield items[first : first + size]


def insert_rows(model: type[BaseModel], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row in one statement (more past MAX_PARAMS values), not compiled by Peewee.

    Every row names the same fields (model field names; foreign keys by their field name,
    with ids); fields left out get the model's default, as with `insert_many`; values go
    through each field's `db_value`, as Peewee sends them. Peewee's `insert_many` compiles
    each value as a node, which costs ~20 µs a row at six columns.
    """
    if not rows:
        return
    names = list(rows[0])
    defaults = {
        field.name: value() if callable(value) else value
        for field, value in model._meta.defaults.items()
        if field.name not in rows[0]
    }
    names += list(defaults)
    rows = [{**row, **defaults} for row in rows] if defaults else rows
    fields = [model._meta.fields[name] for name in names]
    mark = "?" if is_sqlite() else "%s"
    group = "(" + ", ".join([mark] * len(fields)) + ")"
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    convert = [field.db_value for field in fields]
    # A statement carries at most 65,535 values on PostgreSQL (32,766 on older SQLite).
    for part in chunks(rows, max(1, MAX_PARAMS // len(fields))):
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ' + ", ".join(
            [group] * len(part)
        )
        params = [
            to_db(row[name]) for row in part for name, to_db in zip(names, convert, strict=True)
        ]
        db.execute_sql(sql, params)
