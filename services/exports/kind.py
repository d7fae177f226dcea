"""An export kind, what it is asked, and how it reads its rows in pages.

A kind opens an `ExportTable` for a business: it counts its rows in one statement and reads
them in pages of PAGE rows by primary key (`WHERE id > last ORDER BY id LIMIT PAGE`), so an
export of 100,000 rows never holds more than a page, on SQLite and PostgreSQL alike, and
each page is an index range rather than an OFFSET that grows. Rows come in the order they
were created, whatever order the screen they were exported from shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import peewee as pw

from models import Business, db
from services.errors import PaydeskError
from services.exports.csv_file import ExportTable

PAGE = 2000


class ExportRefused(PaydeskError):
    """An export asked with an option its kind does not take, or dates the wrong way round."""


@dataclass(frozen=True)
class ExportAsk:
    """Which rows: between two of the business's days, both included (`since`, `until`,
    either may be None), as of a day (`as_of`: None is today), and the filter of the screen
    the export was started from (that list's query object; None: every row)."""

    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    screen: Any = None


@dataclass(frozen=True)
class ExportKind:
    """One kind of export: `period` names what --from/--to filter ("" if it takes none),
    `takes_as_of` whether --as-of means something for it; `open` makes its table."""

    name: str
    help: str
    period: str
    takes_as_of: bool
    open: Callable[[Business, date, ExportAsk], ExportTable]

    def check(self, ask: ExportAsk) -> None:
        """Refuse options this kind does not take, in words naming the option."""
        if not self.period and (ask.since or ask.until):
            raise ExportRefused(f"the {self.name} export takes no --from/--to")
        if not self.takes_as_of and ask.as_of:
            raise ExportRefused(f"the {self.name} export takes no --as-of")
        if ask.since and ask.until and ask.since > ask.until:
            raise ExportRefused("--from is after --to")


def span_words(what: str, ask: ExportAsk) -> tuple[str, ...]:
    """The header comment's words for a period: "issued 2026-01-01 through 2026-03-31 (both
    days included)", "issued from 2026-01-01 (that day included)", or nothing."""
    if ask.since and ask.until:
        return (f"{what} {ask.since} through {ask.until} (both days included)",)
    if ask.since:
        return (f"{what} from {ask.since} (that day included) on",)
    if ask.until:
        return (f"{what} up to {ask.until} (that day included)",)
    return ()


def pages(
    query: pw.Select, key: pw.Field, size: int = 0, raw: bool = False
) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` (tuples, the first column `key`) in `key` order, read a page of
    `size` (PAGE) rows at a time. `raw`: as the database driver gives them, without Peewee's
    conversions (a third of an export's time; for columns that are text, numbers or dates
    written as ISO text either way)."""
    size = size or PAGE
    last: Any = None
    while True:
        page = (query if last is None else query.where(key > last)).order_by(key).limit(size)
        rows = db.execute(page).fetchall() if raw else list(page.tuples())
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1][0]
