"""Recurring invoices: each schedule with its auto-bill status and the Disable/Enable link."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.loading import LoadingScreen
from screens.widgets.literal import lit
from services.billing.recurring import RecurringView

DISABLE_BODY = (
    "{name} — {amount} {frequency}\n\n"
    "Invoices will still be emailed to you, and nothing will be charged automatically. "
    "You will pay each invoice yourself with Pay Now."
)
ENABLE_BODY = (
    "{name} — {amount} {frequency}\n\n"
    "Each new invoice will be charged automatically to {card} on its due date, and a "
    "receipt emailed to you."
)


@dataclass(frozen=True)
class RecurringData:
    plans: list[RecurringView]
    default_card: str


SWITCH_HINT = "Tab to a row's Disable/Enable link, then Enter, to switch its auto-pay."
FIXED_HINT = "Auto-pay of these is set by us (the reason is under each); ask us to change it."


def hint_for(plans: list[RecurringView]) -> str:
    """What the hint says matches the rows: a link to switch only where there is one."""
    if not plans:
        return ""
    if any(p.can_change for p in plans):
        return SWITCH_HINT
    return FIXED_HINT


class RecurringScreen(LoadingScreen[RecurringData]):
    """One row per recurring invoice; the client switches auto-billing where allowed."""

    NAV = "recurring"
    STEP = 1

    def compose_body(self) -> ComposeResult:
        yield Static("Recurring invoices and automatic payment", id="rec-title")
        yield Static(
            "",
            id="rec-hint",
            classes="hint",
            markup=False,
        )
        with Horizontal(classes="rec-row rec-header"):
            yield Label("Description", classes="rec-desc")
            yield Label("Every", classes="rec-freq")
            yield Label("Amount", classes="rec-amount")
            yield Label("Next invoice", classes="rec-next")
            yield Label("Auto-pay", classes="rec-status")
            yield Label("", classes="rec-link")
        yield VerticalScroll(id="rec-rows", can_focus=False)

    def fetch(self) -> RecurringData:
        desk = self.ctx.desk
        plans = desk.plans()
        card = desk.default_card()
        return RecurringData(plans, card.label if card else "")

    @on(LoadingScreen.Loaded)
    async def _loaded(self, event: LoadingScreen.Loaded) -> None:
        self.data = event.data
        rows = self.query_one("#rec-rows", VerticalScroll)
        focused_id = self.focused.id if self.focused else None
        if not (focused_id or "").startswith("toggle-"):
            focused_id = None
        await rows.remove_children()
        fmt = self.ctx.fmt
        self.query_one("#rec-hint", Static).update(hint_for(event.data.plans))
        if not event.data.plans:
            await rows.mount(Static("You have no recurring invoices.", markup=False))
            return
        widgets: list[Widget] = []
        for plan in event.data.plans:
            status = "Enabled" if plan.autobill_enabled else "Disabled"
            row = Horizontal(
                Label(lit(plan.description), classes="rec-desc"),
                Label(lit(plan.frequency_label), classes="rec-freq"),
                Label(fmt.money(plan.amount, plan.currency), classes="rec-amount"),
                Label(fmt.date(plan.next_date), classes="rec-next"),
                Label(
                    status,
                    id=f"status-{plan.id}",
                    classes="rec-status " + ("-on" if plan.autobill_enabled else "-off"),
                ),
                self._control(plan),
                classes="rec-row",
            )
            widgets.append(row)
            if not plan.can_change and plan.why_not:
                widgets.append(Static(lit(f"  {plan.why_not}"), classes="rec-why hint"))
        await rows.mount_all(widgets)
        target = focused_id or next(
            (f"toggle-{p.id}" for p in event.data.plans if p.can_change), None
        )
        if target and rows.query(f"#{target}"):
            rows.query_one(f"#{target}").focus()

    def _control(self, plan: RecurringView) -> Widget:
        if not plan.can_change:
            return Label("—", classes="rec-link")
        text = "Disable" if plan.autobill_enabled else "Enable"
        return Button(text, id=f"toggle-{plan.id}", classes="rec-link link", compact=True)

    @on(Button.Pressed, ".rec-link")
    def _toggle(self, event: Button.Pressed) -> None:
        if self.data is None or event.button.id is None:
            return
        plan_id = int(event.button.id.removeprefix("toggle-"))
        plan = next(p for p in self.data.plans if p.id == plan_id)
        fmt = self.ctx.fmt
        values = {
            "name": plan.description,
            "amount": fmt.money(plan.amount, plan.currency),
            "frequency": plan.frequency_label.lower(),
            "card": self.data.default_card or "your default card (add one under Cards)",
        }
        if plan.autobill_enabled:
            dialog = ConfirmDialog(
                "Turn off automatic payment?",
                DISABLE_BODY.format(**values),
                yes="Disable",
                no="Keep it on",
            )
        else:
            dialog = ConfirmDialog(
                "Turn on automatic payment?",
                ENABLE_BODY.format(**values),
                yes="Enable",
                no="Cancel",
            )
        enable = not plan.autobill_enabled

        def answered(yes: bool | None) -> None:
            if yes:
                self._set(plan.id, enable)

        self.app.push_screen(dialog, answered)

    @work(thread=True, exit_on_error=False, group="autobill")
    def _set(self, plan_id: int, enabled: bool) -> None:
        self.change_then_reload(lambda: self.ctx.desk.set_autobill(plan_id, enabled))
