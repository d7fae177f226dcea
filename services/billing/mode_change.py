"""What changing a series' auto-bill mode does to the client's own Enable/Disable choice.

The choice (`client_autobill`) is never reset by a mode change; it is *overridden* when the
new mode no longer lets the client choose (`always`, `off`) and charges otherwise than the
client chose. The console asks before that, and the client is emailed when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import RecurringInvoice
from services.billing.policy import CLIENT_CHOOSES, autobill_effective


@dataclass(frozen=True)
class ModeChange:
    """A mode change of one series: the client's choice, auto-billing before and after."""

    recurring_id: int
    mode_from: str
    mode_to: str
    client_choice: bool
    on_before: bool
    on_after: bool

    @property
    def overrides(self) -> bool:
        """The new mode charges (or stops charging) against the client's own choice."""
        return self.mode_to not in CLIENT_CHOOSES and self.on_after != self.client_choice

    @property
    def changed(self) -> bool:
        return self.mode_from != self.mode_to


def mode_change(rec: RecurringInvoice, mode: str) -> ModeChange:
    choice = bool(rec.client_autobill)
    return ModeChange(
        rec.id,
        rec.autobill_mode,
        mode,
        choice,
        autobill_effective(rec.autobill_mode, choice),
        autobill_effective(mode, choice),
    )
