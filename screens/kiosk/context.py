"""What every signed-in kiosk screen is handed: the services, who is signed in, formats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screens.widgets.formats import Formats


@dataclass(frozen=True)
class KioskContext:
    """The services facade, the signed-in client (or a code's one invoice) and the formats.

    `session` is an accounts `SessionInfo` when signed in; `code_invoice_id` is set instead
    when the kiosk was opened with a [View Invoice] code.
    """

    services: Any
    client_id: int
    business_id: int
    fmt: Formats
    session: Any = None
    code_invoice_id: int | None = None
    address: str = ""

    @property
    def actor(self) -> str:
        if self.session is not None:
            return f"contact:{self.session.contact_id}"
        return f"code:invoice:{self.code_invoice_id}"

    @property
    def email(self) -> str:
        return getattr(self.session, "email", "") if self.session is not None else ""

    @property
    def source(self) -> str:
        return "kiosk" if self.session is not None else "code"
