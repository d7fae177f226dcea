"""The card link: a one-time link to the hosted card page, its QR code, and waiting for the card.

The card number is typed on the page (a phone or a browser), never in this terminal. The view
asks the desk for a link, draws it and its QR code, then checks about every second whether the
card was saved; it posts `Saved` when it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Static

from screens.kiosk.context import ClientDesk, Desk, KioskContext
from screens.widgets.literal import lit
from services.errors import PaydeskError
from services.invoices.views import OwedSummary
from services.payments.card_links import LinkState, LinkStatus, NewCardLink
from services.payments.cards import CardView

POLL_SECONDS = 1.0
STRIPE_EVERY = 5  # every 5th check also asks Stripe (a page closed before it reported back)
HOW = (
    "Scan the code with your phone's camera, or open the link below in a browser, "
    "and enter your card there. This terminal never sees your card number."
)
WAITING = "Waiting for your card… The link works once, for 30 minutes."
NO_LINK = "The secure card page cannot be reached just now; please try again in a moment."
EXPIRED = "The link has expired. Close this and add a card again for a new one."
# Two QR rows per line: (top dark, bottom dark) → character.
_HALF_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_lines(url: str, border: int = 1) -> list[str]:
    """The QR code of `url` in half-block characters: dark modules drawn, two rows a line."""
    qr = segno.make(url, error="l", boost_error=False)
    rows = [[bool(m) for m in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        "".join(_HALF_BLOCKS[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]


def qr_text(url: str) -> Text:
    """The QR code as dark-on-white text, readable by a camera whatever the terminal's theme."""
    return Text("\n".join(qr_lines(url)), style="black on white", no_wrap=True)


class CardLinkView(Vertical):
    """Makes a card link for the desk's client, shows it, and waits for the saved card."""

    DEFAULT_CSS = """
    CardLinkView { height: auto; }
    CardLinkView #card-link-row { height: auto; }
    CardLinkView #card-link-qr { width: auto; height: auto; margin-right: 2; }
    CardLinkView #card-link-side { width: 1fr; height: auto; }
    CardLinkView #card-link-url { margin-top: 1; color: $accent; text-style: bold; }
    CardLinkView #card-link-status { margin-top: 1; }
    """

    @dataclass
    class Saved(Message):
        card: CardView
        owed: OwedSummary | None  # what the client owes now (None: a code's one invoice)

    @dataclass
    class _Made(Message):
        link: NewCardLink

    @dataclass
    class _Checked(Message):
        status: LinkStatus
        owed: OwedSummary | None = None

    @dataclass
    class _Problem(Message):
        text: str

    def __init__(self, ctx: KioskContext[Desk], **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.link: NewCardLink | None = None
        self.checks = 0
        self.checking = False
        self.timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="card-link-row"):
            yield Static("", id="card-link-qr")
            with Vertical(id="card-link-side"):
                yield Static(HOW, markup=False, id="card-link-how")
                yield Static("Making your secure link…", markup=False, id="card-link-status")
        yield Static("", markup=False, id="card-link-url")

    def on_mount(self) -> None:
        self._make()

    @work(thread=True, exit_on_error=False, group="card-link")
    def _make(self) -> None:
        try:
            link = self.ctx.desk.new_card_link()
        except PaydeskError as exc:  # e.g. no publishable key: the message says what to do
            self.post_message(self._Problem(exc.message))
            return
        except Exception:  # noqa: BLE001 - one calm line here; traced in the log
            self.post_message(self._Problem(NO_LINK))
            raise
        self.post_message(self._Made(link))

    @on(_Made)
    def _made(self, event: _Made) -> None:
        self.link = event.link
        self.query_one("#card-link-qr", Static).update(qr_text(event.link.url))
        self.query_one("#card-link-url", Static).update(lit(event.link.url))
        self.query_one("#card-link-status", Static).update(WAITING)
        self.timer = self.set_interval(POLL_SECONDS, self._tick)

    @on(_Problem)
    def _problem(self, event: _Problem) -> None:
        self.query_one("#card-link-how", Static).update(
            "Cards are added on the secure card page, never typed into this terminal."
        )
        self.query_one("#card-link-status", Static).update(event.text)

    def _tick(self) -> None:
        if self.link is None or self.checking:
            return
        self.checking = True
        self.checks += 1
        self._check(self.link.id, self.checks % STRIPE_EVERY == 0)

    @work(thread=True, exit_on_error=False, group="card-link")
    def _check(self, link_id: int, ask_stripe: bool) -> None:
        try:
            status = self.ctx.desk.card_link_status(link_id, check_stripe=ask_stripe)
            desk = self.ctx.desk
            saved = status.state is LinkState.USED
            owed = desk.owed() if saved and isinstance(desk, ClientDesk) else None
        finally:
            self.checking = False
        self.post_message(self._Checked(status, owed))

    @on(_Checked)
    def _checked(self, event: _Checked) -> None:
        status = event.status
        if status.state is LinkState.OPEN:
            return
        self._stop()
        if status.state is LinkState.USED and status.card is not None:
            self.post_message(self.Saved(status.card, event.owed))
        else:
            self.query_one("#card-link-status", Static).update(EXPIRED)

    def _stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None


def next_step(ctx: KioskContext[Desk], owed: OwedSummary | None) -> str:
    """What comes after the card is saved: paying what is owed, if anything is."""
    if owed is None or owed.count == 0:
        return ""
    s = "s" if owed.count != 1 else ""
    them = "them" if owed.count != 1 else "it"
    total = ctx.fmt.money(owed.total, owed.currency)
    return f"You owe {total} on {owed.count} invoice{s}. Saving a card does not pay {them}."


class CardSaved(Vertical):
    """ "Card saved: Visa •••• 4242", by itself, what is owed, and a button to go on."""

    DEFAULT_CSS = """
    CardSaved { height: auto; }
    CardSaved #card-saved { text-style: bold; color: $success; margin: 1 0; }
    """

    def __init__(self, card: CardView, next_step: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.card = card
        self.next_step = next_step

    def compose(self) -> ComposeResult:
        yield Static(lit(f"Card saved: {self.card.label}"), id="card-saved")
        if self.next_step:
            yield Static(lit(self.next_step), classes="hint")
        with Horizontal(classes="dialog-buttons"):
            yield Button("Continue", id="card-saved-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#card-saved-ok", Button).focus()
