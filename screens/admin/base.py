"""What every console screen has: the section bar on top, the footer with its keys below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen

from screens.admin.context import AdminContext
from screens.admin.keys_footer import KeysFooter
from screens.admin.sections import SectionBar
from screens.admin.worker_errors import ReportsWorkerFailures


class AdminScreen(ReportsWorkerFailures, Screen[None]):
    """A console screen of one section; subclasses yield their body from `body()`."""

    section = ""

    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield SectionBar(self.section, self.ctx.door.who.where)
        yield from self.body()
        yield KeysFooter()

    def body(self) -> ComposeResult:
        yield from ()
