"""Kiosk-wide events: screens post them, the app acts on them (sign in/out, open a code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from screens.widgets.formats import Formats


@dataclass
class SignedIn(Message):
    """A client signed in: the app shows the Dashboard."""

    session: Any
    fmt: Formats


@dataclass
class CodeOpened(Message):
    """A valid [View Invoice] code: the app shows that one invoice."""

    access: Any
    fmt: Formats


@dataclass
class SignOutRequested(Message):
    """Back to Login (Log out, or 'Log in to see all your invoices')."""

    notice: str = ""
