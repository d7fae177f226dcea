"""Settings (F10): the business's details, numbering, billing and the stored overrides of
paydesk.toml's defaults, each with where its value comes from; what lives only in the
environment shown read-only with where to change it; the Stripe mode stated plainly.
Ctrl+S saves every field at once or none, naming each refused field under it."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from screens.admin.base import AdminScreen
from screens.admin.events import SettingsSaved
from services.billing.recurring_views import AUTOBILL_LABELS
from services.settings.rules import LABELS
from services.settings.service import SettingsRefused, SettingsView

# (heading, fields) in the order shown; a field's kind is its widget.
GROUPS = (
    ("Business", ("name", "billing_email", "address", "currency", "timezone")),
    ("Invoices", ("invoice_prefix", "next_invoice_number", "payment_terms_days", "tax_rates")),
    ("Auto-billing", ("autobill_on", "autobill_mode", "retry_days", "reminder_days")),
    ("Kiosk and SSH", ("idle_timeout", "ssh_host", "ssh_port")),
)
CHOICES = {
    "autobill_on": [("on the due date", "due"), ("on the issue date", "issue")],
    "autobill_mode": [(label, key) for key, label in AUTOBILL_LABELS.items()],
}
HINTS = {
    "tax_rates": "names and percents, like VAT 20; Reduced 5.5",
    "retry_days": "days after the first soft decline, like 1, 3, 7",
    "reminder_days": "days after the due date, like 3, 10",
    "idle_timeout": "seconds without a key before the kiosk signs out",
    "timezone": "like Europe/Paris or America/New_York",
}
STRIPE_STYLE = {"sandbox": "bold", "test": "bold yellow", "live": "bold reverse red"}


class SettingsScreen(AdminScreen):
    """Every setting in one form; Ctrl+S saves, R reads them again."""

    section = "settings"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "reload", "Read again"),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.view: SettingsView | None = None

    def body(self) -> ComposeResult:
        yield Static("Reading the settings…", id="settings-stripe", markup=False)
        with VerticalScroll(id="settings-form"):
            for heading, keys in GROUPS:
                yield Static(heading, classes="settings-heading", markup=False)
                for key in keys:
                    with Horizontal(classes="settings-row"):
                        yield Label(LABELS[key], classes="settings-label", markup=False)
                        yield self._widget(key)
                    yield Static("", id=f"error-{key}", classes="settings-error", markup=False)
                    yield Static("", id=f"note-{key}", classes="settings-note", markup=False)
            yield Static("Set outside the console", classes="settings-heading", markup=False)
            yield Static("", id="settings-fixed", markup=False)

    def _widget(self, key: str) -> Widget:
        if key in CHOICES:
            return Select(CHOICES[key], id=f"field-{key}", allow_blank=False, compact=True)
        if key == "address":
            return TextArea(id=f"field-{key}", compact=True, soft_wrap=True)
        return Input(id=f"field-{key}", compact=True)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="settings")
    def _load(self) -> None:
        view = self.ctx.door.settings.view()
        self.app.call_from_thread(self._show, view)

    def _show(self, view: SettingsView) -> None:
        self.view = view
        for key, value in view.values.items():
            widget = self.query_one(f"#field-{key}")
            if isinstance(widget, Select):
                widget.value = value
            elif isinstance(widget, TextArea):
                widget.text = value
            elif isinstance(widget, Input):
                widget.value = value
        for key in LABELS:
            note = view.sources.get(key, "")
            hint = HINTS.get(key, "")
            if key == "next_invoice_number":
                last = view.last_number
                hint = f"the last used: {view.values['invoice_prefix']}{last:04d}" if last else ""
            _say(self.query_one(f"#note-{key}", Static), " · ".join(t for t in (hint, note) if t))
        self._problems({})
        mode = view.stripe_mode
        fixed = {f.label: f for f in view.fixed}
        stripe = Text.assemble(("Stripe: ", "bold"), (fixed["Stripe"].value, STRIPE_STYLE[mode]))
        stripe.append(f"  (from {fixed['Stripe'].change})", style="dim")
        self.query_one("#settings-stripe", Static).update(stripe)
        lines = Text()
        for f in view.fixed:
            lines.append(f"{f.label}: ", style="bold")
            lines.append(f.value)
            lines.append(f"  change: {f.change}\n", style="dim")
        self.query_one("#settings-fixed", Static).update(lines)

    def form(self) -> dict[str, str]:
        """The text of every field as typed."""
        out: dict[str, str] = {}
        for key in LABELS:
            widget = self.query_one(f"#field-{key}")
            if isinstance(widget, Select):
                out[key] = str(widget.value)
            elif isinstance(widget, TextArea):
                out[key] = widget.text
            elif isinstance(widget, Input):
                out[key] = widget.value
        return out

    def _problems(self, problems: dict[str, str]) -> None:
        for key in LABELS:
            self.query_one(f"#field-{key}").set_class(key in problems, "-invalid")
            _say(self.query_one(f"#error-{key}", Static), problems.get(key, ""))

    def action_save(self) -> None:
        if self.view is not None:
            self._save(self.form())

    @work(thread=True, exit_on_error=False, group="settings-save", exclusive=True)
    def _save(self, form: dict[str, str]) -> None:
        try:
            changes = self.ctx.door.settings.save(form)
        except SettingsRefused as exc:
            self.app.call_from_thread(self._refused, exc.problems)
            return
        view = self.ctx.door.settings.view()
        self.app.call_from_thread(self._saved, changes, view)

    def _refused(self, problems: dict[str, str]) -> None:
        self._problems(problems)
        first = next(iter(problems))
        self.query_one(f"#field-{first}").focus()
        count = len(problems)
        self.notify(
            f"Nothing saved: {count} field{'s' if count > 1 else ''} to correct.",
            severity="warning",
            markup=False,
        )

    def _saved(self, changes: dict, view: SettingsView) -> None:
        self._show(view)
        if not changes:
            self.notify("Nothing changed.", markup=False)
            return
        names = ", ".join(LABELS[key] for key in changes)
        self.notify(f"Saved: {names}.", markup=False)
        self.post_message(SettingsSaved())

    def action_reload(self) -> None:
        self._load()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


def _say(line: Static, message: str) -> None:
    line.update(message)
    line.display = bool(message)
