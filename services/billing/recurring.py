"""Recurring invoices: the owner's schedules and each client's auto-bill choice.

The client's Enable/Disable choice (`client_autobill`) is theirs: an admin edit never resets
it, every change is audited and confirmed by email, and the billing run re-reads it inside
the lock that takes the charge (see `services/billing/autobill.make_guard`). What the
schedules look like to people is in recurring_views.py; the on/off rule in policy.py; the
confirmation email's text in services/emails/autobill.py.
"""

from __future__ import annotations

import builtins
from datetime import date

from models import (
    Business,
    Client,
    Invoice,
    InvoiceBilling,
    RecurringInvoice,
    RecurringLine,
    lock_rows,
    utcnow,
    write_lock,
)
from models.states import CHARGE_WAITING_STATES, ChargeState
from services.audit import audit, before_after
from services.billing.autobill_notices import confirm_choice, tell_overridden
from services.billing.failures import FailureView, failures
from services.billing.mode_change import ModeChange, mode_change
from services.billing.policy import (
    CLIENT_CHOOSES,
    OWED,
    default_card,
    next_series_charge,
    saved_card_label,
)
from services.billing.recurring_rules import (
    RecurringError,
    check_mode,
    checked_schedule,
    next_after_edit,
)
from services.billing.recurring_views import (
    NextCharge,
    RecurringDetail,
    RecurringView,
    lines_of,
    recurring_amount,
    view_of,
    why_not,
)
from services.billing.schedule import (
    first_on_or_after,
    index_on_or_after,
    period_date,
    upcoming,
)
from services.clock import business_today
from services.invoices.views import LineInput, line_values
from services.settings.store import default_autobill_mode

__all__ = ["OverrideRefused", "RecurringError", "RecurringService"]


class OverrideRefused(RecurringError):
    """A mode change that would override the client's own choice, not confirmed."""


class RecurringService:
    """The owner's recurring schedules and the client's auto-bill choice."""

    def __init__(self, mailer=None):
        self.mailer = mailer

    # --- the owner ---------------------------------------------------------------------------

    def add(
        self,
        client_id: int,
        description: str,
        frequency: str,
        anchor_date: date,
        lines: list[LineInput],
        end_date: date | None = None,
        max_count: int | None = None,
        due_days: int | None = None,
        autobill_mode: str | None = None,
        first_date: date | None = None,
        actor: str = "cli",
        address: str = "",
    ) -> RecurringDetail:
        """A new schedule. Its first invoice is for `first_date` (default: the anchor); its
        mode the console's default unless given."""
        autobill_mode = autobill_mode or default_autobill_mode()
        check_mode(autobill_mode)
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise RecurringError(f"no client with id {client_id}")
        business = Business.get_by_id(client.business_id)
        frequency = checked_schedule(
            business, description, frequency, anchor_date, lines, end_date, max_count, due_days
        )
        first = period_date(
            anchor_date,
            frequency,
            index_on_or_after(anchor_date, frequency, first_date or anchor_date),
        )
        with write_lock():
            rec = RecurringInvoice.create(
                business=business,
                client=client,
                description=description.strip(),
                frequency=frequency,
                anchor_date=anchor_date,
                next_date=first,
                end_date=end_date,
                max_count=max_count,
                due_days=business.payment_terms_days if due_days is None else due_days,
                autobill_mode=autobill_mode,
                client_autobill=autobill_mode != "optin",
            )
            self._insert_lines(rec.id, lines)
            audit(
                actor,
                "recurring.created",
                f"recurring:{rec.id}",
                {"client": client_id, "frequency": frequency, "anchor": str(anchor_date)},
                address,
            )
        return self.show(rec.id)

    def list(
        self, client_id: int | None = None, include_cancelled: bool = False
    ) -> builtins.list[RecurringView]:
        query = RecurringInvoice.select().order_by(RecurringInvoice.id)
        if client_id is not None:
            query = query.where(RecurringInvoice.client == client_id)
        if not include_cancelled:
            query = query.where(RecurringInvoice.status != "cancelled")
        return [view_of(rec) for rec in query]

    def show(self, recurring_id: int, count: int = 6, today: date | None = None) -> RecurringDetail:
        rec = self._get(recurring_id)
        lines = tuple(
            LineInput(ln.description, ln.unit_price, ln.quantity_milli, ln.tax_rate_bp)
            for ln in lines_of(rec.id)
        )
        dates: tuple[date, ...] = ()
        if rec.status in ("active", "paused"):
            after = rec.next_date
            if rec.status == "paused":
                business = Business.get_by_id(rec.business_id)
                after = max(rec.next_date, today or business_today(business.timezone))
            remaining = None if rec.max_count is None else rec.max_count - rec.generated_count
            if remaining is None or remaining > 0:
                n0 = index_on_or_after(rec.anchor_date, rec.frequency, after)
                dates = tuple(
                    upcoming(
                        rec.anchor_date,
                        rec.frequency,
                        after=after,
                        count=count if remaining is None else min(count, remaining),
                        end_date=rec.end_date,
                        max_count=None if remaining is None else n0 + remaining,
                    )
                )
        invoices = tuple(
            (inv.number, inv.period_start, inv.status)
            for inv in Invoice.select()
            .where(Invoice.recurring == rec.id)
            .order_by(Invoice.period_start.desc())
            .limit(12)
        )
        return RecurringDetail(
            view=view_of(rec),
            frequency=rec.frequency,
            anchor_date=rec.anchor_date,
            end_date=rec.end_date,
            max_count=rec.max_count,
            generated_count=rec.generated_count,
            due_days=rec.due_days,
            lines=lines,
            upcoming=dates,
            invoices=invoices,
        )

    def pause(self, recurring_id: int, actor: str = "cli", address: str = "") -> None:
        self._set_status(recurring_id, "paused", ("active",), actor, address)

    def resume(
        self, recurring_id: int, actor: str = "cli", today: date | None = None, address: str = ""
    ) -> date:
        """Active again from the first period on or after today: paused periods are skipped."""
        with write_lock():
            rec = self._locked(recurring_id)
            if rec.status != "paused":
                raise RecurringError(
                    f"recurring invoice {recurring_id} is {rec.status}, not paused"
                )
            business = Business.get_by_id(rec.business_id)
            today = today or business_today(business.timezone)
            start = max(rec.next_date, today)
            next_date = first_on_or_after(rec.anchor_date, rec.frequency, start)
            RecurringInvoice.update(status="active", next_date=next_date).where(
                RecurringInvoice.id == rec.id
            ).execute()
            audit(
                actor, "recurring.resumed", f"recurring:{rec.id}", {"next": str(next_date)}, address
            )
        return next_date

    def cancel(self, recurring_id: int, actor: str = "cli", address: str = "") -> None:
        self._set_status(recurring_id, "cancelled", ("active", "paused"), actor, address)

    def update(
        self,
        recurring_id: int,
        description: str,
        frequency: str,
        anchor_date: date,
        lines: builtins.list[LineInput],
        end_date: date | None = None,
        max_count: int | None = None,
        due_days: int | None = None,
        actor: str = "cli",
        address: str = "",
        today: date | None = None,
    ) -> RecurringDetail:
        """Save the schedule's fields and lines. The auto-bill mode is `set_mode`'s, and the
        client's own choice is never touched here (Invoice Ninja resets it on save)."""
        with write_lock():
            rec = self._locked(recurring_id)
            if rec.status not in ("active", "paused"):
                raise RecurringError(f"recurring invoice {recurring_id} is {rec.status}")
            business = Business.get_by_id(rec.business_id)
            frequency = checked_schedule(
                business, description, frequency, anchor_date, lines, end_date, max_count,
                due_days,
            )  # fmt: skip
            today = today or business_today(business.timezone)
            fields = {
                "description": description.strip(),
                "frequency": frequency,
                "anchor_date": anchor_date,
                "next_date": next_after_edit(rec, anchor_date, frequency, today),
                "end_date": end_date,
                "max_count": max_count,
                "due_days": rec.due_days if due_days is None else due_days,
            }
            old_lines = RecurringLine.select().where(RecurringLine.recurring == rec.id)
            was = _plain({name: getattr(rec, name) for name in fields})
            was["lines"] = line_values(old_lines.order_by(RecurringLine.position))
            RecurringInvoice.update(fields).where(RecurringInvoice.id == rec.id).execute()
            RecurringLine.delete().where(RecurringLine.recurring == rec.id).execute()
            self._insert_lines(rec.id, lines)
            now = {**_plain(fields), "lines": line_values(lines)}
            audit(
                actor,
                "recurring.updated",
                f"recurring:{rec.id}",
                {"frequency": frequency, "anchor": str(anchor_date), "lines": len(lines),
                 "changes": before_after(was, now)},
                address,
            )  # fmt: skip
        return self.show(recurring_id)

    def mode_change(self, recurring_id: int, mode: str) -> ModeChange:
        """What setting `mode` would do to the client's own choice (see mode_change.py)."""
        check_mode(mode)
        return mode_change(self._get(recurring_id), mode)

    def set_mode(
        self,
        recurring_id: int,
        mode: str,
        actor: str = "cli",
        address: str = "",
        override: bool = False,
    ) -> ModeChange:
        """Change the auto-bill mode. The client's own choice is kept, never reset; a mode
        that would override it is refused unless `override` (then the client is emailed)."""
        check_mode(mode)
        with write_lock():
            rec = self._locked(recurring_id)
            change = mode_change(rec, mode)
            if not change.changed:
                return change
            if change.overrides and not override:
                raise OverrideRefused(
                    f"the client chose auto-pay {'on' if change.client_choice else 'off'}; "
                    f"mode {mode} would override it (confirm to override)"
                )
            RecurringInvoice.update(autobill_mode=mode).where(
                RecurringInvoice.id == rec.id
            ).execute()
            detail: dict = {"mode": mode, "from": change.mode_from}
            detail["changes"] = {"autobill_mode": [change.mode_from, mode]}
            if change.overrides:
                detail["client_choice"] = "on" if change.client_choice else "off"
            action = "autobill_overridden" if change.overrides else "autobill_mode"
            audit(actor, f"recurring.{action}", f"recurring:{rec.id}", detail, address)
        if change.overrides:
            tell_overridden(self.mailer, rec, change)
        return change

    # --- the client --------------------------------------------------------------------------

    def list_for_client(self, client_id: int) -> builtins.list[RecurringView]:
        query = (
            RecurringInvoice.select()
            .where(
                (RecurringInvoice.client == client_id)
                & RecurringInvoice.status.in_(("active", "paused"))
            )
            .order_by(RecurringInvoice.id)
        )
        return [view_of(rec) for rec in query]

    def set_client_autobill(
        self, client_id: int, recurring_id: int, enabled: bool, actor: str, address: str = ""
    ) -> RecurringView:
        """The client turns auto-billing of one series on or off: audited and confirmed."""
        with write_lock():
            rec = self._locked(recurring_id)
            if rec.client_id != client_id:
                raise RecurringError("that recurring invoice is not yours")
            if rec.autobill_mode not in CLIENT_CHOOSES:
                raise RecurringError(why_not(rec.autobill_mode))
            changed = bool(rec.client_autobill) != bool(enabled)
            RecurringInvoice.update(client_autobill=bool(enabled)).where(
                RecurringInvoice.id == rec.id
            ).execute()
            # Unpaid invoices of the series follow the choice (the run re-checks under lock).
            # Locks are taken in pay()'s order — invoices (by id), then billing rows — so a
            # charge and this change never deadlock on PostgreSQL.
            unpaid = [
                inv.id
                for inv in lock_rows(
                    Invoice.select(Invoice.id)
                    .where(
                        (Invoice.recurring == rec.id)
                        & Invoice.status.in_(OWED)
                        & (Invoice.total > Invoice.amount_paid)
                    )
                    .order_by(Invoice.id)
                )
            ]
            if unpaid and enabled:
                InvoiceBilling.update(
                    charge_state=ChargeState.SCHEDULED, updated_at=utcnow()
                ).where(
                    InvoiceBilling.invoice.in_(unpaid)
                    & (InvoiceBilling.charge_state == ChargeState.DISABLED)
                ).execute()
            elif unpaid:
                InvoiceBilling.update(charge_state=ChargeState.DISABLED, updated_at=utcnow()).where(
                    InvoiceBilling.invoice.in_(unpaid)
                    & InvoiceBilling.charge_state.in_(CHARGE_WAITING_STATES)
                ).execute()
            if unpaid:
                Invoice.update(autobill=bool(enabled)).where(Invoice.id.in_(unpaid)).execute()
            audit(
                actor,
                "recurring.autobill_enabled" if enabled else "recurring.autobill_disabled",
                f"recurring:{rec.id}",
                {
                    "client": client_id,
                    "changed": changed,
                    "changes": before_after(
                        {"client_autobill": bool(rec.client_autobill)},
                        {"client_autobill": bool(enabled)},
                    ),
                },
                address,
            )
        view = view_of(self._get(recurring_id))
        if changed:
            confirm_choice(self.mailer, rec, enabled)
        return view

    def next_charge(self, client_id: int, today: date | None = None) -> NextCharge | None:
        """The next automatic charge for a client: date, amount and card."""
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            return None
        business = Business.get_by_id(client.business_id)
        today = today or business_today(business.timezone)
        card = default_card(client_id)
        candidates: builtins.list[tuple[date, int]] = []
        rows = (
            InvoiceBilling.select(InvoiceBilling, Invoice)
            .join(Invoice)
            .where(
                (Invoice.client == client_id)
                & InvoiceBilling.charge_state.in_(CHARGE_WAITING_STATES)
                & Invoice.status.in_(OWED)
            )
        )
        for row in rows:
            when = row.next_try_on if row.charge_state == ChargeState.RETRY else row.charge_on
            if when is not None:
                candidates.append((max(when, today), row.invoice.total - row.invoice.amount_paid))
        for rec in RecurringInvoice.select().where(
            (RecurringInvoice.client == client_id) & (RecurringInvoice.status == "active")
        ):
            when = next_series_charge(business, rec)
            if when is not None:
                candidates.append((max(when, today), recurring_amount(lines_of(rec.id))))
        if not candidates:
            return None
        when = min(c[0] for c in candidates)
        amount = sum(c[1] for c in candidates if c[0] == when)
        return NextCharge(when, amount, business.currency, saved_card_label(card))

    def failures(self, limit: int = 200) -> builtins.list[FailureView]:
        """Failed or retrying auto-charges and failed emails, newest first."""
        return failures(limit)

    # --- internals ---------------------------------------------------------------------------

    def _get(self, recurring_id: int) -> RecurringInvoice:
        rec = RecurringInvoice.get_or_none(RecurringInvoice.id == recurring_id)
        if rec is None:
            raise RecurringError(f"no recurring invoice with id {recurring_id}")
        return rec

    def _locked(self, recurring_id: int) -> RecurringInvoice:
        rec = lock_rows(
            RecurringInvoice.select().where(RecurringInvoice.id == recurring_id)
        ).get_or_none()
        if rec is None:
            raise RecurringError(f"no recurring invoice with id {recurring_id}")
        return rec

    def _set_status(
        self, recurring_id: int, status: str, allowed: tuple, actor: str, address: str = ""
    ) -> None:
        with write_lock():
            rec = self._locked(recurring_id)
            if rec.status not in allowed:
                raise RecurringError(f"recurring invoice {recurring_id} is {rec.status}")
            RecurringInvoice.update(status=status).where(RecurringInvoice.id == rec.id).execute()
            audit(actor, f"recurring.{status}", f"recurring:{rec.id}", {}, address)

    def _insert_lines(self, recurring_id: int, lines: builtins.list[LineInput]) -> None:
        RecurringLine.insert_many(
            [
                {
                    "recurring": recurring_id,
                    "position": i,
                    "description": line.description,
                    "quantity_milli": line.quantity_milli,
                    "unit_price": line.unit_price,
                    "tax_rate_bp": line.tax_rate_bp,
                }
                for i, line in enumerate(lines)
            ]
        ).execute()


def _plain(values: dict) -> dict:
    """Dates as ISO text, as the audit trail keeps them."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
