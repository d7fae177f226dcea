"""The kiosk's yes/no question, styled for the console (its stylesheet is the kiosk's)."""

from __future__ import annotations

from screens.kiosk.confirm import ConfirmDialog


class AdminConfirm(ConfirmDialog):
    """Ask before an owner action with consequences; dismisses True for yes."""

    DEFAULT_CSS = """
    AdminConfirm { align: center middle; }
    AdminConfirm .dialog {
        width: 64; max-width: 100%; height: auto; border: thick $warning; padding: 0 1;
        background: $surface;
    }
    AdminConfirm .dialog-title { text-style: bold; }
    AdminConfirm .dialog-body { margin: 1 0; }
    AdminConfirm .dialog-buttons { height: auto; }
    AdminConfirm .dialog-buttons Button { margin: 0 1 0 0; }
    """
