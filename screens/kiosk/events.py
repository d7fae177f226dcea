"""Kiosk-wide events: screens post them, the app acts on them (sign in/out, open a code)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from screens.widgets.formats import Formats
from services.doors.kiosk import ClientDesk, CodeDesk


@dataclass
class SignedIn(Message):
    """A client signed in: the app shows the Dashboard."""

    desk: ClientDesk
    fmt: Formats


@dataclass
class CodeOpened(Message):
    """A valid [View Invoice] code: the app shows that one invoice."""

    desk: CodeDesk
    fmt: Formats


@dataclass
class SignOutRequested(Message):
    """Back to Login (Log out, or 'Log in to see all your invoices')."""

    notice: str = ""
