"""3-D Secure from the kiosk: a link (and its QR code) to the page that finishes the payment.

A terminal cannot show the bank's confirmation, so the pay dialog asks the desk for the
hosted invoice page of the waiting payment (`/i/CODE`, where "Complete the payment" runs
`confirmCardPayment`), draws it, and checks the payment every second: when the page, a
webhook or Stripe settles it, the view posts `Settled` and the dialog shows the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from screens.kiosk.card_link import qr_text
from screens.kiosk.context import Desk, KioskContext
from screens.widgets.literal import lit
from services.doors.kiosk import ActionLink
from services.errors import PaydeskError
from services.payments.settle import AttemptStatus, PaymentResult

POLL_SECONDS = 1.0
STRIPE_EVERY = 5  # every 5th check also asks Stripe (a page closed before it reported back)
HOW = (
    "Nothing was charged yet. To pay {amount}, scan the code with your phone, or open the "
    "link above in a browser, and press Complete the payment there."
)
WAITING = "Waiting for your bank's confirmation… this screen updates by itself."
NO_LINK = "The payment page cannot be reached just now. Pay with another card, or try again."


def covers(numbers: tuple[str, ...], page_number: str) -> str:
    """What the page finishes, when the payment is for more than the invoice it shows."""
    if len(numbers) < 2:
        return ""
    return f"The page of {page_number} confirms the one payment for {', '.join(numbers)}."


class ActionLinkView(Vertical):
    """Shows the page link of a payment waiting for 3-D Secure and waits for its outcome."""

    DEFAULT_CSS = """
    ActionLinkView { height: auto; }
    ActionLinkView #action-row { height: auto; margin-top: 1; }
    ActionLinkView #action-qr { width: auto; height: auto; margin-right: 2; }
    ActionLinkView #action-side { width: 1fr; height: auto; }
    ActionLinkView #action-url { margin-top: 1; color: $accent; text-style: bold; }
    ActionLinkView #action-covers, ActionLinkView #action-status { margin-top: 1; }
    ActionLinkView #action-covers.-empty { display: none; }
    """

    @dataclass
    class Settled(Message):
        result: PaymentResult

    @dataclass
    class _Made(Message):
        link: ActionLink

    @dataclass
    class _State(Message):
        result: PaymentResult

    @dataclass
    class _Problem(Message):
        text: str

    def __init__(self, ctx: KioskContext[Desk], result: PaymentResult, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.result = result
        self.link: ActionLink | None = None
        self.checks = 0
        self.checking = False
        self.timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Making your link…", markup=False, id="action-url")
        with Horizontal(id="action-row"):
            yield Static("", id="action-qr")
            with Vertical(id="action-side"):
                amount = self.ctx.fmt.money(self.result.amount, self.result.currency)
                yield Static(HOW.format(amount=amount), markup=False, id="action-how")
                yield Static("", markup=False, id="action-covers")
                yield Static("", markup=False, id="action-status")

    def on_mount(self) -> None:
        if self.result.attempt_id is not None:
            self._make(self.result.attempt_id)

    @work(thread=True, exit_on_error=False, group="action-link")
    def _make(self, attempt_id: int) -> None:
        try:
            link = self.ctx.desk.action_link(attempt_id)
        except PaydeskError as exc:  # no longer waiting (settled meanwhile), not ours
            self.post_message(self._Problem(exc.message))
            return
        except Exception:  # noqa: BLE001 - one calm line here; traced in the log
            self.post_message(self._Problem(NO_LINK))
            raise
        self.post_message(self._Made(link))

    @on(_Made)
    def _made(self, event: _Made) -> None:
        self.link = event.link
        self.query_one("#action-qr", Static).update(qr_text(event.link.url))
        self.query_one("#action-url", Static).update(lit(event.link.url))
        covered = covers(self.result.invoice_numbers, event.link.invoice_number)
        self.query_one("#action-covers", Static).update(lit(covered))
        self.query_one("#action-covers").set_class(not covered, "-empty")
        self.query_one("#action-status", Static).update(WAITING)
        self.timer = self.set_interval(POLL_SECONDS, self._tick)

    @on(_Problem)
    def _problem(self, event: _Problem) -> None:
        self.query_one("#action-url", Static).update(lit(event.text))
        if self.result.attempt_id is not None:  # settled meanwhile: show how, once
            self.timer = self.set_interval(POLL_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.checking or self.result.attempt_id is None:
            return
        self.checking = True
        self.checks += 1
        self._check(self.result.attempt_id, self.checks % STRIPE_EVERY == 0)

    @work(thread=True, exit_on_error=False, group="action-link")
    def _check(self, attempt_id: int, ask_stripe: bool) -> None:
        try:
            result = self.ctx.desk.payment_state(attempt_id, check_stripe=ask_stripe)
        finally:
            self.checking = False
        self.post_message(self._State(result))

    @on(_State)
    def _state(self, event: _State) -> None:
        if event.result.status == AttemptStatus.REQUIRES_ACTION:
            return
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        self.post_message(self.Settled(event.result))
