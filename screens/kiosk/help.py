"""Help: how to pay, as numbered steps, with the client's current step highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.kiosk.base import SignedInScreen
from screens.kiosk.context import ClientDesk, KioskContext
from screens.widgets.literal import lit

# (step-guide index, text). Index None: a note, not a step.
HOW_TO_PAY = (
    (
        0,
        "Log in with your email and password. Forgot it? Use “Recover Your Password” under "
        "the password box; we email you a code. Have an invoice email? Use its code instead.",
    ),
    (1, "At the top choose “Invoices” (key i)."),
    (
        2,
        "On the left choose the invoice number you owe money on (Enter opens it). To pay "
        "several at once, mark them with Space — or press a to mark all owed.",
    ),
    (
        3,
        "At the top right of the invoice use the “Pay Now” drop-down to choose how to pay: "
        "your saved card is listed first, or “Add a new card…”.",
    ),
    (4, "Confirm. Your receipt shows on screen and is emailed to you. The invoice now reads Paid."),
)
NOTES = (
    "Saving a card (on the Dashboard or Cards) does NOT pay an invoice: pay with Pay Now.",
    "Your card is stored at Stripe; we only ever see its last 4 digits.",
    "Automatic charges: open “Recurring Invoices” (key r). The current status (Enabled or "
    "Disabled) is just to the left of the Disable/Enable link.",
)


def how_to_pay(current: int, business_name: str = "") -> Text:
    out = Text()
    if business_name:
        out.append(lit(f"How to pay {business_name}\n\n", "bold"))
    for number, (step, text) in enumerate(HOW_TO_PAY, start=1):
        if step == current:
            out.append(f"▶ {number}. ", style="bold reverse")
            out.append(text, style="bold")
            out.append("   ← you are here", style="bold green")
        else:
            out.append(f"  {number}. ", style="bold" if step > current else "dim")
            out.append(text, style="" if step > current else "dim")
        out.append("\n\n")
    out.append("Good to know\n", style="bold")
    for note in NOTES:
        out.append(f"  • {note}\n")
    return out


class HelpScreen(SignedInScreen[ClientDesk]):
    """The business's payment instructions, step by step."""

    NAV = "help"
    BINDINGS = [Binding("escape", "nav('dashboard')", "Back")]

    def __init__(self, ctx: KioskContext[ClientDesk], current_step: int = 1) -> None:
        super().__init__(ctx)
        self.current_step = current_step

    @property
    def STEP(self) -> int:  # type: ignore[override]  # noqa: N802 - mirrors the class attribute
        return self.current_step

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-body", can_focus=True):
            yield Static(how_to_pay(self.current_step), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
