"""What `ssh admin@…` shows until the admin console exists."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Footer, Static


class AdminPlaceholderApp(App[None]):
    """A screen that says the admin console is not available over SSH yet."""

    BINDINGS = [("q", "quit", "Quit"), ("escape", "quit", "Quit")]
    CSS = """
    AdminPlaceholderApp Static { width: 60; border: round $primary; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(
                "paydesk admin\n\nThe admin console is not available over SSH yet.\n"
                "Your key was accepted. Run `paydesk admin` on the server for now.\n\n"
                "Press q to disconnect.",
                markup=False,
            )
        yield Footer()


def make_admin_placeholder() -> AdminPlaceholderApp:
    return AdminPlaceholderApp()
