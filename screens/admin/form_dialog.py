"""A small form in a dialog: labelled fields, each with its own error line; Save checks the
fields (the service's own rules), then saves in a worker. A refusal is shown under the field
it names, or on one line below the fields; nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea
from textual.worker import Worker, WorkerState

from screens.admin.worker_errors import ReportsWorkerFailures
from services.clients.clients import ClientError

T = TypeVar("T")


@dataclass(frozen=True)
class Field:
    """One field of a form: its key (as the service names it), label and starting value."""

    key: str
    label: str
    value: str = ""
    lines: int = 0  # more than 0: a several-line text of that height (an address)


class FormDialog(ReportsWorkerFailures, ModalScreen[T | None], Generic[T]):
    """Fill in `fields` and save with `save(values)`; dismisses what it returned (None if
    cancelled). `check(values)` gives problems by field before anything is sent."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[Field],
        check: Callable[[dict[str, str]], dict[str, str]],
        save: Callable[[dict[str, str]], T],
        yes: str = "Save",
        body: str = "",
    ) -> None:
        super().__init__()
        self.body = body
        self.title_text, self.fields, self.check, self.save, self.yes = (
            title, fields, check, save, yes,
        )  # fmt: skip

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(self.title_text, markup=False, classes="dialog-title")
            if self.body:
                yield Static(self.body, markup=False, classes="dialog-body")
            for f in self.fields:
                yield Static(f.label, markup=False, classes="form-label")
                if f.lines:
                    area = TextArea(f.value, id=f"field-{f.key}", soft_wrap=True, compact=True)
                    area.styles.height = f.lines
                    yield area
                else:
                    yield Input(f.value, id=f"field-{f.key}", compact=True)
                yield Static("", id=f"error-{f.key}", markup=False, classes="form-error")
            yield Static("", id="form-error", markup=False, classes="form-error")
            yield Static("Ctrl+S saves, Escape cancels.", classes="form-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.key}")
            out[f.key] = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        return out

    def _show(self, problems: dict[str, str]) -> None:
        general = []
        for key, message in problems.items():
            if not any(f.key == key for f in self.fields):
                general.append(message)
        _say(self.query_one("#form-error", Static), " ".join(general))
        for f in self.fields:
            self.query_one(f"#field-{f.key}").set_class(f.key in problems, "-invalid")
            _say(self.query_one(f"#error-{f.key}", Static), problems.get(f.key, ""))

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = self.values()
        problems = self.check(values)
        self._show(problems)
        if problems:
            first = next(iter(problems))
            if any(f.key == first for f in self.fields):
                self.query_one(f"#field-{first}").focus()
            return
        self.query_one("#save", Button).disabled = True
        self._save(values)

    @work(thread=True, exit_on_error=False, group="form")
    def _save(self, values: dict[str, str]) -> tuple[T] | None:
        try:
            saved = self.save(values)
        except ClientError as exc:
            self.app.call_from_thread(self._refused, exc.field or "form", exc.message)
            return None
        return (saved,)  # the dialog closes once this worker is done (below)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)  # a failure: one line, the trace to the log
        if event.state == WorkerState.ERROR:
            self.query_one("#save", Button).disabled = False
        elif event.state == WorkerState.SUCCESS and event.worker.group == "form":
            # Dismissed here, not from the worker: closing the dialog cancels its workers,
            # and a worker still running then ends cancelled, though its save was done.
            if event.worker.result is not None:
                self.dismiss(event.worker.result[0])

    def _refused(self, field: str, message: str) -> None:
        self.query_one("#save", Button).disabled = False
        self._show({field: message})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _say(line: Static, message: str) -> None:
    line.update(message)
    line.display = bool(message)
