"""Choose a client by typing part of a name or email: the first matches, read in SQL as you
type; Enter or a click picks one, Escape picks none."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.admin.context import AdminContext
from screens.widgets.literal import content
from services.console.client_list import ClientPage, ClientQuery

SHOWN = 8


@dataclass(frozen=True)
class PickedClient:
    """The client chosen: who a new recurring invoice bills."""

    id: int
    name: str


class ClientPickDialog(ModalScreen[PickedClient | None]):
    """Type to search clients; Down moves to the matches; Enter picks; Escape picks none."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("down", "to_list", "Matches", show=False),
    ]

    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: dict[str, PickedClient] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="pick"):
            yield Static("Bill which client?", id="pick-title", markup=False)
            yield Input(placeholder="part of a name or email", id="pick-search", compact=True)
            yield OptionList(id="pick-list", compact=True)
            yield Static("", id="pick-count", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pick-search", Input).focus()
        self._search("")

    @on(Input.Changed, "#pick-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exit_on_error=False, group="pick", exclusive=True)
    def _search(self, text: str) -> None:
        page = self.ctx.door.clients(ClientQuery(search=text.strip()), 0, SHOWN)
        self.app.call_from_thread(self._show, page)

    def _show(self, page: ClientPage) -> None:
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        self.rows = {str(r.id): PickedClient(r.id, r.name) for r in page.rows}
        options.add_options(
            Option(content(f"{r.name}  <{r.email}>"), id=str(r.id)) for r in page.rows
        )
        if page.rows:
            options.highlighted = 0
        shown = len(page.rows)
        said = "No client matches." if not shown else f"{shown} of {page.total:,} clients"
        if shown < page.total:
            said += " · type more to narrow"
        self.query_one("#pick-count", Static).update(said)

    @on(Input.Submitted, "#pick-search")
    def _submitted(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.highlighted is not None:
            self._pick(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#pick-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, key: str | None) -> None:
        if key in self.rows:
            self.dismiss(self.rows[key])

    def action_to_list(self) -> None:
        self.query_one("#pick-list", OptionList).focus()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
