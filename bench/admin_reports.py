"""The console's reports for bench/admin.py: aging as of a day, a statement, a CSV export.

Run through the console's door (`AdminDoor`, what the Receivables and Statements screens
and the export dialog call), on the two businesses bench/admin.py built:

- aging: the aging as of 30 days ago (totals and the first page of clients, by owed);
- statement: the middle client's statement for the default range, and its PDF;
- export: every invoice as CSV into a file (100,000 rows for the large business), with the
  rows per second, and the peak memory Python allocated while writing it (tracemalloc)
  against the peak of the same export stopped after its first 5,000 rows.

Each timing is the median of `repeat` runs (the export's, of 3). Goal: aging and statement
within 1.5× of the small business; the export at 50,000 rows/s or more, its peak memory
within 1.5× of its first 5,000 rows' (memory that does not grow with rows).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import timedelta

from services.doors.admin import AdminActor, AdminDoor
from services.exports.csv_file import ExportCancelled

REPORTS = ("aging", "statement")
PARTIAL = 5_000  # rows of the export whose memory the whole one's is held against


def _median(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_reports(services, client_id: int, repeat: int) -> dict:
    """Times of the reports, and the export's time, rows and peak memory."""
    door = AdminDoor(services, AdminActor.local("bench"))
    statements = door.statements
    day = door.today() - timedelta(days=30)
    start, end = statements.default_range()

    def aging() -> None:
        page = statements.aging(day)
        assert page.rows, "the aging shows no client"

    def statement() -> None:
        st = statements.statement(client_id, start, end)
        assert statements.pdf(st).startswith(b"%PDF")

    times = {"aging": _median(aging, repeat), "statement": _median(statement, repeat)}
    # The file goes into the bench's own data dir, dropped with it. Timed without tracing;
    # then the peak memory of the whole export against one stopped after PARTIAL rows.
    rows = [0]

    def export() -> None:
        rows[0] = door.exports.write("invoices").rows

    took = _median(export, 3)
    peaks = (_peak(door, None), _peak(door, PARTIAL))
    return {"times": times, "export": (took, rows[0]), "peaks": peaks}


def _peak(door, rows: int | None) -> int:
    """The most memory Python held while exporting every invoice (or the first `rows`)."""
    shown = [0]

    def progress(done: int, total: int) -> None:
        shown[0] = done

    tracemalloc.start()
    try:
        door.exports.write(
            "invoices", progress=progress, stopped=lambda: bool(rows) and shown[0] >= rows
        )
    except ExportCancelled:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def report(small: dict, large: dict) -> list[str]:
    """Print the table; return the goals missed."""
    print(f"\n{'report':<10}{'small ms':>10}{'large ms':>10}{'ratio':>8}")
    missed = []
    for name in REPORTS:
        a, b = small["times"][name] * 1000, large["times"][name] * 1000
        print(f"{name:<10}{a:>10.1f}{b:>10.1f}{b / a:>7.2f}x")
        if b / a > 1.5:
            missed.append(name)
    (ts, rows_s), (tl, rows_l) = small["export"], large["export"]
    whole, part = large["peaks"]
    rate = rows_l / tl
    print(
        f"\nexport invoices CSV: small {rows_s:,} rows in {ts * 1000:.0f} ms; large {rows_l:,}"
        f" rows in {tl:.2f} s = {rate:,.0f} rows/s; peak memory of the large export"
        f" {whole / 1024:.0f} KiB, of its first {PARTIAL:,} rows {part / 1024:.0f} KiB"
        f" ({whole / part:.2f}x)"
    )
    if rate < 50_000:
        missed.append("export rows/s")
    if whole > 1.5 * part:
        missed.append("export memory")
    return missed
