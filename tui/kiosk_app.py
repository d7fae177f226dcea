"""The client kiosk app and its one factory, shared by the CLI, the SSH server and the tests."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from screens.kiosk.code_entry import open_code
from screens.kiosk.code_invoice import CodeInvoiceScreen
from screens.kiosk.context import ClientDesk, CodeDesk, KioskContext
from screens.kiosk.events import CodeOpened, SignedIn, SignOutRequested
from screens.kiosk.login import LoginScreen
from screens.widgets.step_guide import StepGuide
from screens.widgets.too_small import MIN_HEIGHT, MIN_WIDTH
from screens.widgets.top_bar import TopBar
from services.container import Services

log = logging.getLogger("paydesk.kiosk")

WARN_BEFORE = 60.0
SESSION_CHECK = 2.0  # seconds between checks that the sign-in still holds (disabled logins)
ACTIVITY = (
    events.Key,
    events.MouseDown,
    events.MouseUp,
    events.MouseScrollDown,
    events.MouseScrollUp,
    events.Paste,
)


class KioskApp(App[None]):
    """The client kiosk: Login → Dashboard → Invoices → Pay Now → Receipt."""

    CSS_PATH = Path(__file__).parent / "kiosk.tcss"
    TITLE = "paydesk"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-wide-enough")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-tall-enough")]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]  # in every footer

    def __init__(
        self, services: Services, *, start_code: str | None = None, address: str = ""
    ) -> None:
        super().__init__()
        self.lobby = services.kiosk(address)
        self.start_code = start_code
        self.ctx: KioskContext[ClientDesk] | KioskContext[CodeDesk] | None = None
        self.idle_timeout = services.config.idle_timeout
        self._idle_warn: Timer | None = None
        self._idle_out: Timer | None = None
        self._session_check: Timer | None = None
        self.last_activity = time.monotonic()

    @property
    def address(self) -> str:
        """The client's source address, for audit rows and throttling."""
        return self.lobby.address

    @address.setter
    def address(self, address: str) -> None:
        # A spare SSH session is drawn before its client arrives and learns the address
        # then; every desk opened afterwards is made by the lobby with it.
        self.lobby.address = address

    # -- start-up -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(self.lobby))
        if self.start_code:
            self._open_start_code(self.start_code)

    @work(thread=True, exit_on_error=False, group="code")
    def _open_start_code(self, code: str) -> None:
        opened = open_code(self.lobby, code)
        if isinstance(opened, str):
            self.call_from_thread(self._bad_start_code, opened)
        else:
            self.post_message(CodeOpened(*opened))

    def _bad_start_code(self, message: str) -> None:
        self.notify(message, severity="error", markup=False, timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for workers that failed: the trace to the log, one calm line on screen."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("kiosk worker %s failed", event.worker.name, exc_info=error)
        if event.worker.group == "payment":
            return  # the pay dialog has already told the client what to do
        self.notify(
            "Something went wrong on our side; please try again in a moment.",
            severity="error",
            markup=False,
        )

    # -- sign in / out and navigation -------------------------------------------------------

    @on(SignedIn)
    def _signed_in(self, event: SignedIn) -> None:
        self.ctx = KioskContext(event.desk, event.fmt)
        self.idle_timeout = event.desk.idle_timeout
        self._arm_idle()
        self._session_check = self.set_interval(SESSION_CHECK, self._check_session)
        self._show("dashboard")

    @on(CodeOpened)
    def _code_opened(self, event: CodeOpened) -> None:
        ctx = self.ctx = KioskContext(event.desk, event.fmt)
        self.idle_timeout = event.desk.idle_timeout
        self._arm_idle()
        self._reset_stack()
        self.switch_screen(CodeInvoiceScreen(ctx))

    @on(SignOutRequested)
    def _sign_out_requested(self, event: SignOutRequested) -> None:
        self.sign_out(event.notice)

    @on(TopBar.Navigate)
    def _navigate(self, event: TopBar.Navigate) -> None:
        if event.target == "logout":
            self.sign_out("You are signed out.")
        else:
            self._show(event.target)

    def _reset_stack(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def _show(self, target: str) -> None:
        from screens.kiosk.cards import CardsScreen
        from screens.kiosk.dashboard import DashboardScreen
        from screens.kiosk.help import HelpScreen
        from screens.kiosk.invoices import InvoicesScreen
        from screens.kiosk.recurring import RecurringScreen

        ctx = self.ctx
        if ctx is None or not isinstance(ctx.desk, ClientDesk):
            return
        client = KioskContext(ctx.desk, ctx.fmt)  # the same context, typed as a client's
        step = 1
        guides = self.screen.query(StepGuide)
        if guides:
            step = guides.first().step
        self._reset_stack()
        pages = {
            "dashboard": lambda: DashboardScreen(client),
            "invoices": lambda: InvoicesScreen(client),
            "recurring": lambda: RecurringScreen(client),
            "cards": lambda: CardsScreen(client),
            "help": lambda: HelpScreen(client, step),
        }
        self.switch_screen(pages[target]())

    def sign_out(self, notice: str = "", reason: str = "logout") -> None:
        if self.ctx is not None and isinstance(self.ctx.desk, ClientDesk):
            self._record_logout(self.ctx.desk, reason)
        self.ctx = None
        self._disarm_idle()
        if self._session_check is not None:
            self._session_check.stop()
            self._session_check = None
        self._reset_stack()
        self.switch_screen(LoginScreen(self.lobby, notice=notice))

    @work(thread=True, exit_on_error=False, group="audit")
    def _record_logout(self, desk: ClientDesk, reason: str) -> None:
        desk.logout(reason)

    # -- idle timeout -----------------------------------------------------------------------

    def _arm_idle(self) -> None:
        self._disarm_idle()
        warn_after = max(self.idle_timeout - WARN_BEFORE, self.idle_timeout / 2)
        self._idle_warn = self.set_timer(warn_after, self._idle_warning)
        self._idle_out = self.set_timer(self.idle_timeout, self._idle_expired)

    def _disarm_idle(self) -> None:
        for timer in (self._idle_warn, self._idle_out):
            if timer is not None:
                timer.stop()
        self._idle_warn = self._idle_out = None

    def _idle_warning(self) -> None:
        seconds = round(
            self.idle_timeout - max(self.idle_timeout - WARN_BEFORE, self.idle_timeout / 2)
        )
        self.notify(
            f"Still there? You will be signed out in {seconds} seconds. Press any key to stay.",
            title="Idle",
            severity="warning",
            timeout=seconds,
        )

    def _idle_expired(self) -> None:
        if any(w.group == "payment" and not w.is_finished for w in self.workers):
            self._arm_idle()  # never sign out under a payment in flight; its receipt comes first
            return
        minutes = self.idle_timeout / 60
        shown = f"{minutes:g} minute{'s' if minutes != 1 else ''}"
        self.clear_notifications()
        self.sign_out(f"You were signed out after {shown} without activity.", reason="idle")

    # -- the sign-in still holds -------------------------------------------------------------

    def _check_session(self) -> None:
        ctx = self.ctx
        if ctx is not None and isinstance(ctx.desk, ClientDesk):
            self._ask_session(ctx.desk)

    @work(thread=True, exit_on_error=False, group="session", exclusive=True)
    def _ask_session(self, desk: ClientDesk) -> None:
        try:
            ended = desk.session_ended()
        except Exception:  # noqa: BLE001 - a missed check is retried; no notice every 2 s
            log.warning("could not check the session", exc_info=True)
            return
        if ended:
            self.call_from_thread(self._session_over, desk, ended)

    def _session_over(self, desk: ClientDesk, notice: str) -> None:
        ctx = self.ctx
        if ctx is None or ctx.desk is not desk:
            return  # signed out (or in again) meanwhile
        if any(w.group == "payment" and not w.is_finished for w in self.workers):
            return  # a payment in flight ends first; its receipt comes before the sign-out
        self.clear_notifications()
        self.sign_out(notice, reason="ended")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY):
            self.last_activity = time.monotonic()
            if self.ctx is not None and self._idle_out is not None:
                self._arm_idle()
        await super().on_event(event)


def make_kiosk_app(
    services: Services, *, start_code: str | None = None, address: str = ""
) -> KioskApp:
    """Build the kiosk on the services (see services.container.build_services)."""
    return KioskApp(services, start_code=start_code, address=address)
