"""Rows of hand-written statements (models.run_sql) read as Peewee models.

For the few reads on a hot path (the web pages under load) where Peewee's query compiler
costs far more than running the statement: `columns_of` writes a model's column list and
`as_model` reads it back as Peewee would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import peewee as pw

M = TypeVar("M", bound=pw.Model)


def columns_of(model: type[pw.Model], alias: str) -> str:
    """`alias.col, …` for every column of `model`, in the order `as_model` reads them."""
    return ", ".join(f"{alias}.{f.column_name}" for f in model._meta.sorted_fields)


def as_model(model: type[M], row: tuple | list, start: int = 0) -> M:
    """`model`'s instance from its columns in `row` (from `start`, in `sorted_fields` order),
    each converted as Peewee converts what it reads (dates, times, booleans)."""
    data: dict[str, Any] = {}
    for i, (name, convert) in enumerate(_converters(model), start):
        value = row[i]
        data[name] = value if value is None else convert(value)
    instance = model(__no_default__=1)  # empty, nothing dirty: as Peewee builds a read row
    instance.__data__ = data
    return instance


@cache
def _converters(model: type[pw.Model]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    return tuple((f.name, f.python_value) for f in model._meta.sorted_fields)
