"""The "window too small" notice that covers a screen below 80×24."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24


class TooSmall(Static):
    """Shown instead of the screen while the terminal is below 80×24; hidden again on growing."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    TooSmall {
        display: none;
        layer: toosmall;
        dock: top;
        width: 100%;
        height: 100%;
        background: $background;
        color: $warning;
        content-align: center middle;
        text-align: center;
        text-style: bold;
    }
    Screen.-too-narrow TooSmall {
        display: block;
    }
    Screen.-too-short TooSmall {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__(
            f"This window is too small.\n\nPlease make it at least {MIN_WIDTH}×{MIN_HEIGHT}"
            " characters;\nthe kiosk comes back as soon as it fits.\n\nCtrl+Q quits.",
            markup=False,
        )
