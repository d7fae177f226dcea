"""Cards: saved cards, set default, remove (with what it means for auto-billing), add one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.card_saved import offer_to_pay_owed
from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.loading import LoadingScreen
from screens.kiosk.pay_dialog import PayOutcome
from screens.kiosk.pay_flow import start_payment
from screens.widgets.literal import lit
from services.invoices.views import InvoiceSummary, OwedSummary
from services.payments.cards import CardView


def removal_consequence(card: CardView, cards: list[CardView], autobill_count: int) -> str:
    others = [c for c in cards if c.id != card.id]
    if autobill_count == 0:
        return "No automatic payments use your cards at the moment."
    if not card.is_default:
        return "Automatic payments keep using your default card."
    if others:
        return (
            f"This is your default card: automatic payments ({autobill_count}) will be "
            f"charged to {others[0].label} instead."
        )
    return (
        f"This is your only card: your {autobill_count} automatic payment(s) cannot be "
        "charged until you add a card. Invoices will still be emailed for you to pay."
    )


@dataclass(frozen=True)
class CardsData:
    cards: list[CardView]
    autobill_count: int
    owed: OwedSummary | None = None


class CardsScreen(LoadingScreen[CardsData]):
    """The client's saved cards."""

    NAV = "cards"
    STEP = 1
    BINDINGS = [Binding("a", "add_card", "Add a card")]

    @dataclass
    class OwedReady(Message):
        invoices: list[InvoiceSummary]
        card: CardView

    def compose_body(self) -> ComposeResult:
        yield Static("Your saved cards", id="cards-title")
        yield Static(
            "Cards are stored at Stripe; we only see the last 4 digits. "
            "Saving a card does not pay an invoice.",
            classes="hint",
            markup=False,
        )
        yield VerticalScroll(id="card-rows", can_focus=False)
        yield Button("Add a card", id="add-card", variant="primary")

    def fetch(self) -> CardsData:
        desk = self.ctx.desk
        cards = desk.cards()
        plans = desk.plans()
        count = sum(1 for p in plans if p.autobill_enabled)
        return CardsData(cards, count, desk.owed())

    @on(LoadingScreen.Loaded)
    async def _loaded(self, event: LoadingScreen.Loaded) -> None:
        self.data = event.data
        rows = self.query_one("#card-rows", VerticalScroll)
        await rows.remove_children()
        if not event.data.cards:
            await rows.mount(Static("No saved cards yet.", markup=False))
            self.query_one("#add-card").focus()
            return
        widgets = []
        for card in event.data.cards:
            expiry = card.expiry
            parts: list[Widget] = [
                Label(lit(card.label), classes="card-label"),
                Label(expiry, classes="card-exp"),
                Label("Default" if card.is_default else "", classes="card-default"),
            ]
            if not card.is_default:
                parts.append(
                    Button("Make default", id=f"default-{card.id}", classes="link", compact=True)
                )
            parts.append(Button("Remove", id=f"remove-{card.id}", classes="link", compact=True))
            widgets.append(Horizontal(*parts, classes="card-row"))
        await rows.mount_all(widgets)
        self.query_one("#add-card").focus()

    def _card(self, button_id: str) -> CardView:
        assert self.data is not None
        card_id = int(button_id.rsplit("-", 1)[1])
        return next(c for c in self.data.cards if c.id == card_id)

    @on(Button.Pressed, "#card-rows Button")
    def _row_button(self, event: Button.Pressed) -> None:
        if self.data is None or event.button.id is None:
            return
        card = self._card(event.button.id)
        if event.button.id.startswith("default-"):
            self._set_default(card.id)
            return
        body = (
            f"{card.label} will be removed from your account and from Stripe.\n\n"
            + removal_consequence(card, self.data.cards, self.data.autobill_count)
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(card.id)

        self.app.push_screen(
            ConfirmDialog("Remove this card?", body, yes="Remove card", no="Keep it"), answered
        )

    @work(thread=True, exit_on_error=False, group="cards")
    def _set_default(self, card_id: int) -> None:
        self.ctx.desk.set_default_card(card_id)
        self.post_message(self.Loaded(self.fetch()))

    @work(thread=True, exit_on_error=False, group="cards")
    def _remove(self, card_id: int) -> None:
        self.change_then_reload(lambda: self.ctx.desk.remove_card(card_id))

    @on(Button.Pressed, "#add-card")
    def action_add_card(self) -> None:
        self.app.push_screen(AddCardDialog(self.ctx), self._added)

    def _added(self, card: CardView | None) -> None:
        if card is None:
            return
        owed = self.data.owed if self.data else None
        self.reload()
        offer_to_pay_owed(self, self.ctx.fmt, card, owed, lambda: self._fetch_owed(card))

    @work(thread=True, exit_on_error=False, group="load")
    def _fetch_owed(self, card: CardView) -> None:
        self.post_message(self.OwedReady(self.ctx.desk.owed_invoices(), card))

    @on(OwedReady)
    def _owed_ready(self, event: OwedReady) -> None:
        start_payment(self, self.ctx, event.invoices, event.card.id, [event.card], self._paid)

    def _paid(self, outcome: PayOutcome | None) -> None:
        self.reload()
