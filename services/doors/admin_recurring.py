"""The console's recurring invoices: the list, the editor's form, its preview, saving (the
client's own auto-bill choice kept; an override asked for, then emailed), pause / resume /
cancel. Every action is the owner's (`who`), audited with where they are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from models import Business, RecurringInvoice, write_lock
from services.billing.backfill import add_with_backfill
from services.billing.mode_change import ModeChange
from services.billing.preview import PreviewDate, preview
from services.billing.recurring_rules import RecurringError, check_mode, next_after_edit
from services.billing.recurring_views import RecurringDetail
from services.billing.schedule import first_on_or_after, parse_frequency
from services.console.client_detail import AutobillChange, autobill_changes
from services.console.recurring_list import RecurringPage, RecurringQuery, recurring_page
from services.errors import PaydeskError
from services.invoices.line_text import line_text, parse_line_text
from services.invoices.rules import due_days_problem, lines_problem
from services.invoices.views import LineInput
from services.settings.store import default_autobill_mode
from services.text import refuse_controls

T = TypeVar("T")

if TYPE_CHECKING:
    from services.container import Services
    from services.doors.admin import AdminActor


@dataclass(frozen=True)
class RecurringForm:
    """The editor's fields, read: what a schedule is made of."""

    client_id: int
    description: str
    frequency: str
    anchor: date
    lines: tuple[LineInput, ...]
    end_date: date | None = None
    max_count: int | None = None
    due_days: int | None = None
    mode: str = "optout"


@dataclass(frozen=True)
class RecurringEdit:
    """What the editor opens with: the schedule, its lines as text, the client's choice."""

    detail: RecurringDetail
    client_id: int
    lines_text: str
    client_choice: bool
    change: AutobillChange | None  # who last chose Enable/Disable, and when


def _day(text: str, what: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RecurringError(f"{what}: expected a date YYYY-MM-DD, not {text!r}") from None


def _number(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise RecurringError(f"{what}: expected a whole number, not {text!r}")
    return int(text)


class AdminRecurring:
    """The console's door to recurring invoices, for one owner."""

    def __init__(
        self,
        services: Services,
        who: AdminActor,
        business: Callable[[], Business],
        today: Callable[[], date],
    ) -> None:
        self._services = services
        self.who = who
        self._business = business
        self.today = today

    @property
    def _recurring(self):
        return self._services.recurring

    def page(
        self, ask: RecurringQuery | None = None, offset: int = 0, limit: int = 50
    ) -> RecurringPage:
        return recurring_page(self._business().id, ask or RecurringQuery(), offset, limit)

    def open(self, recurring_id: int) -> RecurringEdit:
        detail = self._recurring.show(recurring_id, today=self.today())
        rec = RecurringInvoice.get_by_id(recurring_id)
        currency = self._business().currency
        return RecurringEdit(
            detail,
            rec.client_id,
            "\n".join(line_text(line, currency) for line in detail.lines),
            bool(rec.client_autobill),
            autobill_changes([recurring_id]).get(recurring_id),
        )

    def form(self, client_id: int, fields: dict[str, str]) -> RecurringForm:
        """The editor's texts read (description, frequency, anchor, end, count, days, lines,
        mode); a field that does not read is a RecurringError naming it."""
        currency = self._business().currency
        anchor = _day(fields.get("anchor", ""), "anchor")
        if anchor is None:
            raise RecurringError("anchor: a recurring invoice needs an anchor date")
        texts = [t for t in fields.get("lines", "").splitlines() if t.strip()]
        mode = fields.get("mode") or default_autobill_mode()
        check_mode(mode)
        return RecurringForm(
            client_id=client_id,
            description=fields.get("description", ""),
            frequency=parse_frequency(fields.get("frequency", "monthly")),
            anchor=anchor,
            lines=tuple(parse_line_text(t, currency) for t in texts),
            end_date=_day(fields.get("end", ""), "end"),
            max_count=_number(fields.get("count", ""), "count"),
            due_days=_number(fields.get("due_days", ""), "days to pay"),
            mode=mode,
        )

    def starts_in_the_past(self, form: RecurringForm) -> bool:
        return form.anchor < self.today()

    def default_mode(self) -> str:
        """The auto-bill mode a new schedule gets unless another is chosen (Settings)."""
        return default_autobill_mode()

    def problems(self, client_id: int | None, fields: dict[str, str]) -> dict[str, str]:
        """Every field of a new schedule that does not read or breaks a rule, with why
        (`client` too: none chosen): the editor names them all at once, not the first."""
        out: dict[str, str] = {}

        def read(key: str, reader: Callable[[], T]) -> T | None:
            try:
                return reader()
            except (PaydeskError, ValueError) as exc:
                out[key] = str(exc)
                return None

        if client_id is None:
            out["client"] = "client: choose who is billed (ctrl+o)"
        description = fields.get("description", "")
        if not description.strip():
            out["description"] = "description: a recurring invoice needs one"
        read("description", lambda: refuse_controls(RecurringError, {"description": description}))
        read("frequency", lambda: parse_frequency(fields.get("frequency", "")))
        anchor = read("anchor", lambda: _day(fields.get("anchor", ""), "anchor"))
        if anchor is None and "anchor" not in out:
            out["anchor"] = "anchor: the date the periods count from, YYYY-MM-DD"
        end = read("end", lambda: _day(fields.get("end", ""), "ends on"))
        if anchor and end and end < anchor:
            out["end"] = "ends on: the end date is before the anchor date"
        count = read("count", lambda: _number(fields.get("count", ""), "or after"))
        if count is not None and count < 1:
            out["count"] = "or after: the count must be at least 1"
        days = read("due_days", lambda: _number(fields.get("due_days", ""), "days to pay"))
        if days is not None and due_days_problem(days):
            out["due_days"] = f"days to pay: {due_days_problem(days)}"
        read("mode", lambda: check_mode(fields.get("mode", "")))
        currency = self._business().currency
        texts = [t for t in fields.get("lines", "").splitlines() if t.strip()]
        lines = []
        for text in texts:
            try:
                lines.append(parse_line_text(text, currency))
            except (PaydeskError, ValueError) as exc:
                out.setdefault("lines", str(exc))
        if "lines" not in out:
            problem = lines_problem(lines, currency)
            if problem:
                out["lines"] = f"lines: {problem}"
        return out

    # -- the preview: the run's own rules on the form as it stands --------------------------

    def preview(
        self, form: RecurringForm, recurring_id: int | None = None, backfill: bool = False
    ) -> tuple[PreviewDate, ...]:
        """The next 6 invoices the run would issue if the form were saved (or added)."""
        today = self.today()
        if recurring_id is not None:
            rec = RecurringInvoice.get_by_id(recurring_id)
            next_date = next_after_edit(rec, form.anchor, form.frequency, today)
            made, status = rec.generated_count, rec.status
        else:
            past = form.anchor < today and not backfill
            start = today if past else form.anchor
            next_date = first_on_or_after(form.anchor, form.frequency, start)
            made, status = 0, "active"
        shown = RecurringInvoice(
            anchor_date=form.anchor,
            frequency=form.frequency,
            next_date=next_date,
            generated_count=made,
            max_count=form.max_count,
            end_date=form.end_date,
            status=status,
        )
        return preview(shown, form.lines, today)

    # -- saving ------------------------------------------------------------------------------

    def mode_change(self, recurring_id: int, mode: str) -> ModeChange:
        return self._recurring.mode_change(recurring_id, mode)

    def save(
        self, recurring_id: int, form: RecurringForm, override: bool = False
    ) -> RecurringDetail:
        """Save the fields (the client's choice kept) and the mode: a mode that overrides the
        client's choice is refused (OverrideRefused, nothing saved) unless `override`."""
        who = self.who
        with write_lock():
            self._recurring.update(
                recurring_id,
                form.description,
                form.frequency,
                form.anchor,
                list(form.lines),
                end_date=form.end_date,
                max_count=form.max_count,
                due_days=form.due_days,
                actor=who.actor,
                address=who.address,
                today=self.today(),
            )
            self._recurring.set_mode(
                recurring_id, form.mode, who.actor, who.address, override=override
            )
        return self._recurring.show(recurring_id, today=self.today())

    def add(
        self, form: RecurringForm, backfill: str | None = None
    ) -> tuple[RecurringDetail, list[str]]:
        """A new schedule, by the CLI's rule: a past anchor starts at the next period unless
        `backfill` ("email": bill the past periods now, not charged; "charge": charge them)."""
        today = self.today()
        past = form.anchor < today
        schedule = {
            "client_id": form.client_id,
            "description": form.description,
            "frequency": form.frequency,
            "anchor_date": form.anchor,
            "lines": list(form.lines),
            "end_date": form.end_date,
            "max_count": form.max_count,
            "due_days": form.due_days,
            "autobill_mode": form.mode,
            "first_date": today if past and not backfill else None,
        }
        actor, address = self.who.actor, self.who.address
        if past and backfill:
            return add_with_backfill(
                self._recurring, today, backfill == "charge", actor, address, **schedule
            )
        return self._recurring.add(actor=actor, address=address, **schedule), []

    # -- pause, resume, cancel ---------------------------------------------------------------

    def pause(self, recurring_id: int) -> None:
        self._recurring.pause(recurring_id, self.who.actor, self.who.address)

    def resume(self, recurring_id: int) -> date:
        return self._recurring.resume(
            recurring_id, self.who.actor, today=self.today(), address=self.who.address
        )

    def cancel(self, recurring_id: int) -> None:
        self._recurring.cancel(recurring_id, self.who.actor, self.who.address)
