"""Export a list to CSV: written in a worker with a progress bar, then where it went.

The list's screen hands its current query, so the file holds what the list shows (every
page of it, in the order the rows were created). Escape stops an export under way (its
partial file is removed) and closes the dialog once it is done.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from screens.admin.context import AdminContext
from screens.admin.worker_errors import ReportsWorkerFailures
from services.console.client_list import ClientQuery
from services.console.invoice_list import InvoiceQuery
from services.console.payment_list import PaymentQuery
from services.doors.admin_exports import ExportDone
from services.exports.csv_file import ExportCancelled

ListQuery = InvoiceQuery | PaymentQuery | ClientQuery
NOT_WRITTEN = "The export could not be written; it has been logged."


class ExportDialog(ReportsWorkerFailures, ModalScreen[None]):
    """Writes one CSV export of `kind` as `query` filters it (as of `as_of`, for a kind that
    takes a day), showing its progress."""

    DEFAULT_CSS = """
    ExportDialog #export { width: 72; }
    ExportDialog .dialog-title { text-style: bold; }
    ExportDialog #export-bar { margin: 1 0 0 0; }
    ExportDialog #export-status { margin: 1 0 0 0; }
    ExportDialog #export-keys { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape", "close", "Stop / close"),
        Binding("enter", "close_done", "Close", show=False),
    ]

    @dataclass
    class Progressed(Message):
        """`done` of `total` rows are written."""

        done: int
        total: int

    @dataclass
    class Finished(Message):
        """The export is written (`done`), or stopped (`problem` says so)."""

        done: ExportDone | None
        problem: str = ""

    def __init__(
        self,
        ctx: AdminContext,
        kind: str,
        query: ListQuery | None,
        shown: str,
        as_of: date | None = None,
    ):
        super().__init__()
        self.as_of = as_of
        self.ctx = ctx
        self.kind = kind
        self.query_ = query
        self.shown = shown
        self.finished = False
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export"):
            yield Static(f"Export {self.kind} to CSV", classes="dialog-title", markup=False)
            yield Static(Content(self.shown), id="export-shown")
            yield ProgressBar(show_eta=False, id="export-bar")
            yield Static(Content(f"Reading the {self.kind}…"), id="export-status")
            yield Static("Esc stop", id="export-keys", markup=False)

    def on_mount(self) -> None:
        self._write()

    @work(thread=True, exit_on_error=False, group="export")
    def _write(self) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self.Progressed(done, total))

        exports = self.ctx.door.exports
        try:
            done = exports.write(
                self.kind, self.query_, progress, self._stop.is_set, as_of=self.as_of
            )
        except ExportCancelled as exc:
            self.post_message(self.Finished(None, str(exc)))
            return
        self.post_message(self.Finished(done))

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self.query_one(ProgressBar).update(total=max(event.total, 1), progress=event.done)
        self._status(f"{event.done:,} of {event.total:,} {self.kind} written…")

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.finished = True
        self.query_one("#export-keys", Static).update("Enter or Esc close")
        if event.done is None:
            self._status(event.problem)
            return
        path = event.done.path
        self._status(f"{event.done.rows:,} {self.kind} written to {path.name}\nin {path.parent}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state == WorkerState.ERROR:
            self.finished = True
            self._status(NOT_WRITTEN)
            self.query_one("#export-keys", Static).update("Enter or Esc close")

    def _status(self, text: str) -> None:
        self.query_one("#export-status", Static).update(Content(text))

    def action_close(self) -> None:
        if self.finished:
            self.dismiss(None)
        else:
            self._stop.set()
            self._status("Stopping…")

    def action_close_done(self) -> None:
        if self.finished:
            self.dismiss(None)
