"""The console's CSV exports: written into the data dir's `exports` folder, audited as the
owner with the kind, the rows and the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models import utcnow
from services.audit import audit
from services.clock import zone
from services.exports.csv_file import Progress, write_file
from services.exports.kind import ExportAsk
from services.exports.kinds import KINDS

if TYPE_CHECKING:
    from models import Business
    from services.container import Services
    from services.doors.admin import AdminActor


@dataclass(frozen=True)
class ExportDone:
    """Where the export went and how many rows it holds."""

    path: Path
    rows: int


class AdminExports:
    """What the owner may export, from the screen whose filter (`screen`) it respects."""

    def __init__(
        self, services: Services, who: AdminActor, business: Business, today: date
    ) -> None:
        self._home = services.config.home
        self._who = who
        self._business = business
        self._today = today

    @property
    def folder(self) -> Path:
        return self._home / "exports"

    def write(
        self,
        kind: str,
        screen: Any = None,
        progress: Progress | None = None,
        stopped: Callable[[], bool] | None = None,
        as_of: date | None = None,
    ) -> ExportDone:
        """Export `kind` (a KINDS name) as `screen` (that list's query) filters it, as of
        `as_of` (a kind that takes it; default today), into a new file named after the kind
        and the business's time; ExportCancelled when stopped."""
        b = self._business
        table = KINDS[kind].open(b, as_of or self._today, ExportAsk(as_of=as_of, screen=screen))
        made = utcnow()
        self.folder.mkdir(mode=0o700, exist_ok=True)
        path = self._free_name(kind, made)
        rows = write_file(path, table, made, progress, stopped)
        who = self._who
        detail = {"kind": kind, "rows": rows, "file": path.name}
        audit(who.actor, "admin.export", kind, detail, who.address)
        return ExportDone(path, rows)

    def _free_name(self, kind: str, made: datetime) -> Path:
        stamp = made.replace(tzinfo=UTC).astimezone(zone(self._business.timezone))
        base = f"{kind}-{stamp:%Y-%m-%d-%H%M%S}"
        path, n = self.folder / f"{base}.csv", 1
        while path.exists():
            n += 1
            path = self.folder / f"{base}-{n}.csv"
        return path
