"""The frame every kiosk screen shares: top bar, step guide, body, footer, too-small notice."""

from __future__ import annotations

import logging
from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from screens.kiosk.context import DeskT, KioskContext
from screens.widgets.step_guide import StepGuide
from screens.widgets.too_small import TooSmall
from screens.widgets.top_bar import NAV_ITEMS, TopBar

log = logging.getLogger("paydesk.kiosk")

ResultT = TypeVar("ResultT")


class WorkerErrors:
    """Mixin: a worker that failed is logged with its trace; the client sees one calm line."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        log.error("kiosk worker %s failed", event.worker.name, exc_info=event.worker.error)
        if hasattr(self, "busy"):
            self.busy = False
        if event.worker.group == "payment":
            return  # the pay dialog has already told the client what to do
        self.notify(  # type: ignore[attr-defined]
            "Something went wrong on our side; please try again in a moment.",
            severity="error",
            markup=False,
        )


class KioskScreen(WorkerErrors, Screen[ResultT]):
    """A full kiosk page dismissed with a ResultT. Subclasses set STEP and write compose_body()."""

    STEP: int | None = None
    """Where this page sits in the step guide (None: no guide)."""

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        if self.STEP is not None:
            yield StepGuide(self.STEP, id="step-guide")
        yield from self.compose_body()
        yield Footer()
        yield TooSmall()

    def compose_header(self) -> ComposeResult:
        return iter(())

    def compose_body(self) -> ComposeResult:
        return iter(())

    def set_step(self, step: int) -> None:
        self.query_one(StepGuide).step = step


class SignedInScreen(KioskScreen[None], Generic[DeskT]):
    """A page for a signed-in client: the top bar and its keys; `ctx.desk` is its door."""

    NAV = ""
    """Which top-bar item this page is."""

    BINDINGS = [
        Binding(key, f"nav('{target}')", text, show=False) for target, text, key in NAV_ITEMS
    ]

    def __init__(self, ctx: KioskContext[DeskT]) -> None:
        super().__init__()
        self.ctx = ctx

    def compose_header(self) -> ComposeResult:
        yield TopBar(self.NAV)

    def action_nav(self, target: str) -> None:
        self.post_message(TopBar.Navigate(target))
