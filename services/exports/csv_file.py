"""The CSV file every export writes, with its rules in one place.

- RFC 4180 through the `csv` module: fields quoted when they hold a comma, a quote or a line
  break, quotes doubled, records ended by CR LF; UTF-8.
- The first line is a comment, `# paydesk export of …`, saying which rows these are (a date
  range states that both its days are included), the time zone the days and times are in, and
  when the file was made. It holds no comma or quote, so it stays one cell in a spreadsheet.
- Amounts are plain numbers in major units (12345 cents → `123.45`, 500 yen → `500`), made
  exactly from integer minor units: `Decimal` cells, never floats. The currency is a column.
- Text cells that start with `=` `+` `-` `@`, a tab or a carriage return are written with a
  leading `'`, so a spreadsheet shows them as text instead of running them as a formula
  (OWASP's "CSV injection" advice). Only text (`str`) cells are touched: amounts, counts and
  dates are not strings, so a negative amount stays the number it is.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from services.clock import zone
from services.errors import PaydeskError
from services.money import exponent

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SET = frozenset(FORMULA_STARTS)
PROGRESS_EVERY = 1000  # rows between two progress reports (and checks for a cancel)

Progress = Callable[[int, int], None]  # (rows written, rows in all)


class ExportCancelled(PaydeskError):
    """The owner stopped the export; the partial file was removed."""


@dataclass(frozen=True)
class ExportTable:
    """What one export writes: its column names, how many rows, the rows (an iterator that
    reads them a page at a time), and what the header comment says of them."""

    noun: str  # "invoices"
    header: tuple[str, ...]
    total: int
    rows: Iterable[Sequence[object]]
    about: tuple[str, ...]  # "issued 2026-01-01 through 2026-03-31 (both days included)", …
    timezone: str


def neutral(text: str) -> str:
    """`text` as a spreadsheet will show it and never run it: "=1+1" → "'=1+1"."""
    return "'" + text if text[:1] in _FORMULA_SET else text  # write_table has it written out


@lru_cache(maxsize=64)
def _digits(currency: str) -> int:
    return exponent(currency)


def major(amount: int, currency: str) -> Decimal:
    """Minor units as the exact major-unit number: 12345 USD → 123.45, -5 USD → -0.05."""
    return Decimal(amount).scaleb(-_digits(currency))


def local_moment(at: datetime | None, tz_name: str) -> str:
    """A UTC instant (naive is UTC) in the business's zone with its offset, ISO 8601:
    "2026-03-16T11:00:00-04:00"; "" for none."""
    if at is None:
        return ""
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(zone(tz_name)).isoformat("T", "seconds")


def comment_line(table: ExportTable, made: datetime) -> str:
    """The header comment (no comma, quote or line break in it: see the module's rules)."""
    parts = [f"paydesk export of {table.noun}", *table.about]
    parts.append(f"days and times in {table.timezone}")
    parts.append(f"made {local_moment(made, table.timezone)}")
    text = "; ".join(parts)
    for char in ',"\r\n':
        text = text.replace(char, " ")
    return "# " + text


def write_table(
    out: TextIO,
    table: ExportTable,
    made: datetime,
    progress: Progress | None = None,
    stopped: Callable[[], bool] | None = None,
) -> int:
    """Write `table` to `out` (opened with newline=""), the comment, the header, then each
    row as it is read; the number of rows written. Reports progress every PROGRESS_EVERY rows
    and at the end; raises ExportCancelled when `stopped()` says so."""
    out.write(comment_line(table, made) + "\r\n")
    writer = csv.writer(out)
    writer.writerow(table.header)
    total, done = table.total, 0
    batch: list[list[object]] = []
    for row in table.rows:
        # `neutral`, written out: a call per cell was a third of a 100,000-row export
        batch.append(
            [("'" + c if c[:1] in _FORMULA_SET else c) if c.__class__ is str else c for c in row]  # type: ignore[index,operator]
        )
        if len(batch) == PROGRESS_EVERY:
            writer.writerows(batch)
            done += len(batch)
            batch.clear()
            if stopped is not None and stopped():
                raise ExportCancelled(f"Export stopped after {done:,} of {total:,} {table.noun}.")
            if progress is not None:
                progress(done, max(total, done))
    writer.writerows(batch)
    done += len(batch)
    if progress is not None:
        progress(done, max(total, done))
    return done


def write_file(
    path: Path,
    table: ExportTable,
    made: datetime,
    progress: Progress | None = None,
    stopped: Callable[[], bool] | None = None,
) -> int:
    """Write `table` to `path` through `path.part`, renamed when complete: a file with the
    export's name is always a whole export. The rows written."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as out:
            rows = write_table(out, table, made, progress, stopped)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return rows
