"""A small stand-in with the kiosk factory's signature, for SSH tests of the server alone."""

from __future__ import annotations

import os
import signal

from textual.app import App, ComposeResult
from textual.widgets import Footer, Input, Static


class PlaceholderApp(App[None]):
    """Shows the route it was opened for and the terminal size; `!` crashes on purpose."""

    BINDINGS = [("ctrl+q", "quit", "Quit"), ("f5", "crash", "Crash"), ("f6", "flood", "Flood")]

    def __init__(self, start_code: str | None, address: str) -> None:
        super().__init__()
        self.start_code = start_code
        self.address = address

    def compose(self) -> ComposeResult:
        title = "PLACEHOLDER LOGIN" if self.start_code is None else f"CODE {self.start_code}"
        yield Static(title, markup=False)
        yield Static("", id="size", markup=False)
        env = os.environ
        yield Static(
            f"ENV TERM={env.get('TERM')} COLORTERM={env.get('COLORTERM')} LANG={env.get('LANG')} "
            f"AGENT={'SSH_AUTH_SOCK' in env}",
            markup=False,
        )
        yield Input(placeholder="Email", id="email")
        yield Footer()

    def show_size(self) -> None:
        text = f"SIZE {self.size.width}x{self.size.height}"
        label = self.query_one("#size", Static)
        if str(label.render()) != text:
            label.update(text)

    def on_mount(self) -> None:
        self.show_size()
        self.set_interval(0.1, self.show_size)
        if self.start_code == "stubborn":  # for the hang-up test: only SIGKILL ends it
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def action_flood(self) -> None:
        """Repaint the whole screen with new text 50 times a second (for the backpressure test)."""
        flood = Static("", id="flood", markup=False)
        self.mount(flood)
        counter = iter(range(10**9))

        def refill() -> None:
            n = next(counter)
            line = "".join(chr(0x41 + (n + i) % 26) for i in range(self.size.width))
            flood.update("\n".join(line for _ in range(self.size.height)))

        self.set_interval(0.02, refill)

    def action_crash(self) -> None:
        raise RuntimeError("placeholder crash on purpose")


def make_app(services, *, start_code: str | None = None, address: str = "") -> PlaceholderApp:
    return PlaceholderApp(start_code, address)
