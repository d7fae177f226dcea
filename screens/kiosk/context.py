"""What every kiosk screen past the login is handed: its desk (the services door) and formats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from screens.widgets.formats import Formats
from services.doors.kiosk import ClientDesk, CodeDesk, Desk

__all__ = ["ClientDesk", "CodeDesk", "Desk", "DeskT", "KioskContext"]

DeskT = TypeVar("DeskT", bound=Desk, covariant=True)


@dataclass(frozen=True)
class KioskContext(Generic[DeskT]):
    """The desk of the signed-in client (or of a code's one invoice) and the formats.

    The desk is the only way a screen reaches the services; it answers for its own client
    (or its own invoice) and refuses anything else.
    """

    desk: DeskT
    fmt: Formats

    @property
    def client_id(self) -> int:
        return self.desk.client_id
