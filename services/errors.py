"""The one base of every error a person reads: its message is meant for them, as it is."""

from __future__ import annotations


class PaydeskError(Exception):
    """A failure the person at the screen or terminal can act on; `message` says how."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message
