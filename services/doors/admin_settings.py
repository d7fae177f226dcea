"""The console's Settings: read them, check a form field by field, save what changed (one
audit row as the owner, with each field's value before and after)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.settings.service import SettingsService, SettingsView

if TYPE_CHECKING:
    from services.container import Services
    from services.doors.admin import AdminActor


class AdminSettings:
    """What the owner may see and change of the business's settings (SettingsRefused)."""

    def __init__(
        self, services: Services, who: AdminActor, business_id: int, changed: Callable[[], None]
    ) -> None:
        self._service = SettingsService(services.config)
        self._who = who
        self._business_id = business_id
        self._changed = changed  # the door reads the business again

    def view(self) -> SettingsView:
        return self._service.view(self._business_id)

    def check(self, form: dict[str, str]) -> dict[str, Any]:
        """The form's values read; SettingsRefused names each field refused."""
        return self._service.check(self._business_id, form)

    def save(self, form: dict[str, str]) -> dict[str, Any]:
        """Store what changed ({field: [before, after]}; empty: nothing to save)."""
        who = self._who
        changes = self._service.save(self._business_id, form, who.actor, who.address)
        if changes:
            self._changed()
        return changes
