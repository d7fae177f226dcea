"""A small stand-in with the kiosk factory's signature, for SSH tests of the server alone."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Input, Static


class PlaceholderApp(App[None]):
    """Shows the route it was opened for and the terminal size; `!` crashes on purpose."""

    BINDINGS = [("ctrl+q", "quit", "Quit"), ("f5", "crash", "Crash")]

    def __init__(self, start_code: str | None, address: str) -> None:
        super().__init__()
        self.start_code = start_code
        self.address = address

    def compose(self) -> ComposeResult:
        title = "PLACEHOLDER LOGIN" if self.start_code is None else f"CODE {self.start_code}"
        yield Static(title, markup=False)
        yield Static("", id="size", markup=False)
        yield Input(placeholder="Email", id="email")
        yield Footer()

    def on_resize(self) -> None:
        self.query_one("#size", Static).update(f"SIZE {self.size.width}x{self.size.height}")

    def on_mount(self) -> None:
        self.on_resize()

    def action_crash(self) -> None:
        raise RuntimeError("placeholder crash on purpose")


def make_app(services, *, start_code: str | None = None, address: str = "") -> PlaceholderApp:
    return PlaceholderApp(start_code, address)
