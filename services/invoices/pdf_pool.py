"""Invoice PDFs for a batch of emails, drawn on a second core when the machine has one.

fpdf2 takes about a millisecond per invoice, the largest part of an invoice email. With
`workers` > 0, a batch's PDFs are handed in small chunks to a pool of processes (forked
once per pass, after fpdf is imported, so they start in milliseconds) while this process
prepares the rest of the emails; then this process draws the chunks the pool has not
started, from the end, while the pool works from the start, so both cores are busy and
neither waits. Without a second core, for small batches, or if the pool breaks, every PDF
is drawn here. The PDFs are the same either way (the same function draws them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from services.invoices.views import InvoiceDetail

log = logging.getLogger("paydesk.run")

Job = tuple[InvoiceDetail, str, str]  # (invoice, how to pay, status line)
CHUNK = 4  # invoices per task: big enough to amortise the hand-over, small to balance
MIN_JOBS = 24  # fewer PDFs than this are drawn here


def default_workers() -> int:
    """One worker when there is a second core (and the platform can fork), else none."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return 1 if can_fork and (cores or 1) > 1 else 0


def draw(jobs: Sequence[Job]) -> list[bytes | str]:
    """Each job's PDF, or the name of the error that stopped it (one never stops the rest)."""
    from services.invoices.pdf import render_invoice_pdf  # fpdf loads fonts: when mailing

    out: list[bytes | str] = []
    for invoice, how_to_pay, status_line in jobs:
        try:
            out.append(render_invoice_pdf(invoice, how_to_pay, status_line))
        except Exception as exc:  # noqa: BLE001 - reported per invoice by the caller
            log.exception("invoice %s: the PDF could not be drawn", invoice.number)
            out.append(type(exc).__name__)
    return out


def _die_with(parent: int) -> None:
    """A worker's start: it ends when the pass that forked it dies (a SIGKILL included).

    Otherwise it would wait for work for ever, holding the pass's inherited database
    connection (on PostgreSQL the backend and any open transaction stay alive) and its
    stdout/stderr open."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the pass died before the line above
        os._exit(1)


class PdfPool:
    """Draws PDFs here and, when it has workers, in a process pool at the same time."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self.pooled = 0  # PDFs the pool drew (the rest were drawn here)
        self._pool: ProcessPoolExecutor | None = None

    def draw(self, jobs: Sequence[Job]) -> list[bytes | str]:
        pending = self.submit(jobs)
        return self.collect(pending)

    def submit(self, jobs: Sequence[Job]) -> list[tuple[Sequence[Job], Future | None]]:
        """Hand the jobs' chunks to the pool (when worth it); `collect` gathers them."""
        chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
        pool = self._start() if len(jobs) >= MIN_JOBS else None
        if pool is None:
            return [(chunk, None) for chunk in chunks]
        try:
            return [(chunk, pool.submit(draw, chunk)) for chunk in chunks]
        except Exception:  # noqa: BLE001 - a broken pool: everything is drawn here
            self._broken()
            return [(chunk, None) for chunk in chunks]

    def collect(self, pending: list[tuple[Sequence[Job], Future | None]]) -> list[bytes | str]:
        results: list[list[bytes | str] | None] = [None] * len(pending)
        # This process takes chunks from the end while the pool works from the start.
        for i in range(len(pending) - 1, -1, -1):
            chunk, future = pending[i]
            if future is not None and not future.cancel():
                break
            results[i] = draw(chunk)
        for i, (chunk, future) in enumerate(pending):
            if results[i] is None:
                try:
                    assert future is not None
                    results[i] = future.result()
                    self.pooled += len(chunk)
                except Exception:  # noqa: BLE001 - a worker died: draw the chunk here
                    log.warning("the PDF worker failed; drawing the PDFs in this process")
                    self._broken()
                    results[i] = draw(chunk)
        return [pdf for part in results if part is not None for pdf in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _start(self) -> ProcessPoolExecutor | None:
        if self._pool is None and self.workers > 0:
            import services.invoices.pdf  # noqa: F401 - imported before the fork: warm workers

            try:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_die_with,
                    initargs=(os.getpid(),),
                )
            except (OSError, ValueError) as exc:
                log.warning("no PDF worker (%s); drawing the PDFs in this process", exc)
                self.workers = 0
        return self._pool

    def _broken(self) -> None:
        self.workers = 0
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
