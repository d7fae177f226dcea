"""Dashboard: what is owed, the next automatic charge, saved cards; Invoices and Recurring."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.card_saved import offer_to_pay_owed
from screens.kiosk.loading import LoadingScreen
from screens.kiosk.pay_dialog import PayOutcome
from screens.kiosk.pay_flow import start_payment
from screens.widgets.literal import join, lit
from screens.widgets.pay_now import PayNow, PayNowChoice, card_option
from services.billing.recurring import NextCharge
from services.invoices.views import InvoiceSummary, OwedSummary
from services.payments.cards import CardView


@dataclass(frozen=True)
class DashboardData:
    owed: OwedSummary
    next_charge: NextCharge | None
    cards: list[CardView]


class DashboardScreen(LoadingScreen[DashboardData]):
    """The signed-in home page."""

    NAV = "dashboard"
    STEP = 1
    BINDINGS = [
        Binding("p", "pay_owed", "Pay all owed"),
        Binding("a", "add_card", "Add a card"),
    ]

    @dataclass
    class OwedReady(Message):
        invoices: list[InvoiceSummary]
        choice: PayNowChoice

    def compose_body(self) -> ComposeResult:
        name = self.ctx.desk.name
        yield Static(lit(f"Welcome, {name}" if name else "Welcome"), id="welcome")
        with Horizontal(id="dash-top"):
            with Vertical(id="owed-box", classes="card"):
                yield Static("What you owe", classes="card-title")
                yield Static("Loading…", id="owed")
                yield PayNow(prompt="Pay all owed ▸ choose card", id="pay-owed")
            with Vertical(id="next-box", classes="card"):
                yield Static("Next automatic charge", classes="card-title")
                yield Static("Loading…", id="next-charge")
        with Horizontal(id="dash-actions"):
            yield Button("Invoices", id="go-invoices", variant="primary")
            yield Button("Recurring Invoices", id="go-recurring")
            yield Button("Add a card", id="add-card")
        with Vertical(id="cards-box", classes="card"):
            yield Static("Saved cards", classes="card-title")
            yield Static("Loading…", id="cards")
        yield Static(
            "Saving a card does not pay an invoice. To pay: Invoices → choose → Pay Now.",
            id="dash-hint",
            classes="hint",
            markup=False,
        )

    def on_mount(self) -> None:
        # Textual then runs LoadingScreen.on_mount too (handlers run up the MRO): it loads.
        self.query_one("#go-invoices", Button).focus()

    def fetch(self) -> DashboardData:
        desk = self.ctx.desk
        owed = desk.owed()
        next_charge = desk.next_charge()
        cards = desk.cards()
        return DashboardData(owed, next_charge, cards)

    @on(LoadingScreen.Loaded)
    def _loaded(self, event: LoadingScreen.Loaded) -> None:
        self.data = data = event.data
        fmt = self.ctx.fmt
        owed = data.owed
        if owed.count:
            plural = "s" if owed.count != 1 else ""
            text = join(
                (fmt.money(owed.total, owed.currency), "bold"),
                "\n",
                f"{owed.count} invoice{plural} to pay, ",
                (f"{owed.overdue_count} overdue", "bold red" if owed.overdue_count else ""),
                "\n",
                ("Oldest due ", "dim"),
                fmt.date(owed.oldest_due),
            )
        else:
            text = join(("Nothing — you are all paid up.", "bold green"))
        self.query_one("#owed", Static).update(text)
        self.query_one("#pay-owed", PayNow).display = owed.count > 0
        self.query_one("#pay-owed", PayNow).set_cards(data.cards)
        nxt = data.next_charge
        if nxt is None:
            self.query_one("#next-charge", Static).update("No automatic charge is scheduled.")
        else:
            self.query_one("#next-charge", Static).update(
                join(
                    (fmt.date(nxt.date), "bold"),
                    "\n",
                    fmt.money(nxt.amount, nxt.currency),
                    "\n",
                    ("on ", "dim"),
                    (nxt.card_label or "no card on file", ""),
                )
            )
        if data.cards:
            cards = lit("")
            for index, card in enumerate(data.cards):
                if index:
                    cards.append("\n")
                cards.append(card_option(card))
        else:
            cards = lit("No saved cards yet.")
        self.query_one("#cards", Static).update(cards)

    @on(Button.Pressed, "#go-invoices")
    def _invoices(self) -> None:
        self.action_nav("invoices")

    @on(Button.Pressed, "#go-recurring")
    def _recurring(self) -> None:
        self.action_nav("recurring")

    def action_pay_owed(self) -> None:
        if self.data and self.data.owed.count:
            select = self.query_one("#pay-owed", PayNow)
            select.focus()
            select.action_show_overlay()

    @on(PayNow.Chosen, "#pay-owed")
    def _pay_owed(self, event: PayNow.Chosen) -> None:
        self._fetch_owed(event.choice)

    @work(thread=True, exit_on_error=False, group="load")
    def _fetch_owed(self, choice: PayNowChoice) -> None:
        self.post_message(self.OwedReady(self.ctx.desk.owed_invoices(), choice))

    @on(OwedReady)
    def _owed_ready(self, event: OwedReady) -> None:
        cards = self.data.cards if self.data else []
        start_payment(self, self.ctx, event.invoices, event.choice, cards, self._paid)

    def _paid(self, outcome: PayOutcome | None) -> None:
        self.reload()

    @on(Button.Pressed, "#add-card")
    def action_add_card(self) -> None:
        self.app.push_screen(AddCardDialog(self.ctx), self._card_added)

    def _card_added(self, card: CardView | None) -> None:
        if card is None:
            return
        owed = self.data.owed if self.data else None
        self.reload()

        def pay() -> None:
            assert owed is not None
            self.data = DashboardData(owed, None, [card])
            self._fetch_owed(card.id)

        offer_to_pay_owed(self, self.ctx.fmt, card, owed, pay)
