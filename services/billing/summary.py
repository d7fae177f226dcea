"""What one billing pass did (or, dry, would do): the summary the CLI prints and stores.

Each phase returns its own result (services/billing/phases/); `PhaseResult.add_to` sums a
result into the summary by field name, so a new count needs one field on each side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar


@dataclass
class RunSummary:
    """What one pass did (or, with --dry-run, would do)."""

    as_of: str = ""
    dry_run: bool = False
    generated: int = 0
    emailed: int = 0
    email_failed: int = 0
    charged: int = 0
    declined: int = 0
    action_needed: int = 0
    retry_scheduled: int = 0
    reminded: int = 0
    reconciled: int = 0
    mail_retried: int = 0
    errors: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    planned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        verb = "would be " if self.dry_run else ""
        parts = [
            f"generated {self.generated}",
            f"emailed {self.emailed}",
            f"charged {self.charged}",
            f"declined {self.declined}",
            f"action needed {self.action_needed}",
            f"reconciled {self.reconciled}",
        ]
        extra = []
        if self.retry_scheduled:
            extra.append(f"retries scheduled {self.retry_scheduled}")
        if self.reminded:
            extra.append(f"reminders {self.reminded}")
        if self.email_failed:
            extra.append(f"emails failed {self.email_failed}")
        if self.errors:
            extra.append(f"errors {len(self.errors)}")
        head = "dry run: " + verb if self.dry_run else ""
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{head}{' · '.join(parts)}{tail} — as of {self.as_of}, {self.seconds:.1f}s"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


_COUNTS = {f.name for f in fields(RunSummary) if f.type == "int"}


@dataclass
class PhaseResult:
    """The base of every phase's result: its `errors` and, for a dry run, `planned` lines."""

    # A count the summary names differently: {"sent": "emailed"}.
    renamed: ClassVar[dict[str, str]] = {}

    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)

    def add_to(self, summary: RunSummary) -> None:
        """Add this result's counts (the fields named like the summary's) and lines."""
        for own in fields(self):
            name = self.renamed.get(own.name, own.name)
            if name in _COUNTS:
                setattr(summary, name, getattr(summary, name) + getattr(self, own.name))
        summary.errors += self.errors
        summary.planned += self.planned
