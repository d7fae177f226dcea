"""One rule for console workers that fail: the trace goes to the log, the owner sees one calm
line (or the message of an error they can act on). Worker state messages do not bubble, so
each node that runs workers hands its failures here."""

from __future__ import annotations

import logging

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from services.errors import PaydeskError

log = logging.getLogger("paydesk.admin")

CALM = "Something went wrong reading that; it has been logged. Press r to try again."


def report_failure(node: DOMNode, event: Worker.StateChanged) -> None:
    """Log a failed worker's trace and notify one line; other states are ignored."""
    if event.state != WorkerState.ERROR:
        return
    error = event.worker.error
    log.error("admin worker %s failed", event.worker.name, exc_info=error)
    message = str(error) if isinstance(error, PaydeskError) else CALM
    node.app.notify(message, severity="error", markup=False)


class ReportsWorkerFailures:
    """Mixin for a widget, screen or app whose workers may fail (see report_failure)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        assert isinstance(self, DOMNode)
        report_failure(self, event)
