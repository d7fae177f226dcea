"""What every console screen is handed: the console's door and how to show money and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from screens.widgets.formats import Formats
from services.dates import format_clock, format_moment
from services.doors.admin import AdminDoor


@dataclass(frozen=True)
class AdminContext:
    """The door (the owner's services) and the business's formats."""

    door: AdminDoor
    fmt: Formats
    timezone: str = "UTC"

    def clock(self, at: datetime) -> str:
        """A UTC instant as the business's wall-clock time, "2:02 PM" (as the kiosk says it)."""
        return format_clock(at, self.timezone, self.fmt.locale)

    def stamp(self, at: datetime) -> str:
        """A UTC instant as the business's date and time, "Mar 16, 2026, 11:00 AM EDT"."""
        return format_moment(at, self.timezone, self.fmt.locale)


def context_for(door: AdminDoor) -> AdminContext:
    """The context of a door (reads the business: call it from a worker)."""
    profile = door.profile()
    return AdminContext(door, Formats(profile.currency, profile.locale), profile.timezone)
