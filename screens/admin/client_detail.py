"""A client's detail: who they are and what they owe, then tabs for contacts, invoices,
payments, recurring invoices (with the client's auto-bill choice and who changed it when),
saved cards (brand, last 4, expiry) and the client's audit trail. Long lists come in pages."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from screens.admin.base import AdminScreen
from screens.admin.client_forms import client_form, contact_form, disable_question, remove_question
from screens.admin.context import AdminContext
from screens.admin.events import NewRecurring, OpenStatement
from screens.admin.paged_table import PagedTable, TablePage, money_cell
from screens.kiosk.invoices import status_label
from screens.widgets.literal import join
from services.clients.clients import ContactView
from services.clock import business_today
from services.doors.admin import ClientCard

TABS = (
    ("contacts", "Contacts"),
    ("invoices", "Invoices"),
    ("payments", "Payments"),
    ("recurring", "Recurring"),
    ("cards", "Cards"),
    ("audit", "Audit trail"),
)
PAGED = {"invoices", "payments", "audit"}  # their tables are made when their tab first opens


class ClientDetailScreen(AdminScreen):
    """One client; Escape goes back to where it was opened from; 1–6 pick a tab."""

    section = "clients"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit client"),
        Binding("n", "new_contact", "New contact"),
        Binding("c", "edit_contact", "Edit"),
        Binding("i", "invite", "Invite"),
        Binding("d", "disable", "Disable"),
        Binding("u", "enable", "Enable"),
        Binding("x", "remove", "Remove"),
        Binding("s", "statement", "Statement"),
        Binding("r", "new_recurring", "New recurring"),
        *(Binding(str(n), f"tab('{key}')", label, show=False) for n, (key, label) in
          enumerate(TABS, 1)),
    ]  # fmt: skip

    def __init__(self, ctx: AdminContext, client_id: int) -> None:
        super().__init__(ctx)
        self.client_id = client_id
        self.card: ClientCard | None = None

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="client-head", classes="panel", markup=False)
        with TabbedContent(id="client-tabs"):
            for n, (key, label) in enumerate(TABS, 1):
                with TabPane(f"{n} {label}", id=f"tab-{key}"):
                    if key not in PAGED:
                        yield from self._pane(key)

    def _pane(self, key: str) -> ComposeResult:
        cid = self.client_id
        door = self.ctx.door
        if key == "invoices":
            yield PagedTable(
                (("Number", 12), ("Issued", 13), ("Due", 13), ("Total", 11), ("Balance", 11),
                 ("Status", 10)),
                self._invoices, noun="invoices", id="client-invoices",
            )  # fmt: skip
        elif key == "payments":
            yield PagedTable(
                (("When", 26), ("Reference", 12), ("Amount", 11), ("Refunded", 10), ("Card", 26)),
                self._payments, noun="payments", id="client-payments",
                # Narrower: the day without the time, and no reference.
                narrow=((5, "Day", 12), (2, "Amount", 11), (3, "Refunded", 10), (4, "Card", 26)),
            )  # fmt: skip
        elif key == "contacts":
            table: DataTable[Text] = DataTable(id="client-contacts", cursor_type="row")
            table.add_columns("Name", "Email", "Login")
            yield table
        elif key == "audit":
            yield PagedTable(
                (("When", 26), ("Who", 18), ("What", 28), ("About", None)),
                lambda offset, limit: self._audit(door.client_audit(cid, offset, limit), offset),
                noun="entries", id="client-audit",
            )  # fmt: skip
        else:
            yield Static("Loading…", id=f"client-{key}", markup=False)

    def on_mount(self) -> None:
        self._load()

    def on_screen_resume(self) -> None:
        if self.card is not None:
            self._load()  # a recurring invoice may have been added

    def action_new_recurring(self) -> None:
        if self.card is not None:
            self.post_message(NewRecurring(self.client_id, self.card.client.name))

    @work(thread=True, exit_on_error=False, group="client")
    def _load(self) -> None:
        card = self.ctx.door.client(self.client_id)
        self.app.call_from_thread(self._show, card)

    def _show(self, card: ClientCard) -> None:
        self.card = card
        fmt = self.ctx.fmt
        client = card.client
        head = join(
            (client.name, "bold"),
            "  ",
            (client.email, ""),
            ("  (archived)" if client.archived else "", "dim"),
            "\nOwes ",
            (fmt.money(card.owed), "bold"),
            f" · {card.overdue_count} overdue · {card.invoice_count} invoices",
        )
        if client.address:
            head.append("\n")
            head.append(" · ".join(client.address.splitlines()), style="dim")
        self.query_one("#client-head", Static).update(head)
        self._fill_contacts(card)
        self.query_one("#client-recurring", Static).update(self._recurring(card))
        self.query_one("#client-cards", Static).update(self._cards(card))

    # -- the small lists ---------------------------------------------------------------------

    def _fill_contacts(self, card: ClientCard) -> None:
        table = self.query_one("#client-contacts", DataTable)
        at = table.cursor_row
        table.clear()
        for c in card.contacts:
            state = "disabled" if c.disabled else "can sign in" if c.has_password else "no password"
            style = "red" if c.disabled else "" if c.has_password else "dim"
            table.add_row(Text(c.name or "—"), Text(c.email), Text(state, style), key=str(c.id))
        if card.contacts:
            table.move_cursor(row=min(at, len(card.contacts) - 1))
        self.refresh_bindings()

    def _recurring(self, card: ClientCard) -> Text:
        if not card.recurring:
            return Text("No recurring invoices.", style="dim")
        fmt = self.ctx.fmt
        out = Text()
        for r in card.recurring:
            auto = "on" if r.autobill_enabled else "off"
            out.append_text(
                join(
                    (r.description, "bold"),
                    f"  {r.frequency_label} · {fmt.money(r.amount, r.currency)}"
                    f" · next {fmt.date(r.next_date)} · {r.status}\n",
                    f"  auto-bill {auto} (mode {r.autobill_mode})",
                )
            )
            change = card.autobill_changes.get(r.id)
            if change is not None:
                turned = "on" if change.enabled else "off"
                # on its own line: a whole moment does not fit after the mode at 80 columns
                out.append(f"\n  turned {turned} by {change.actor} on {self.ctx.stamp(change.at)}")
            out.append("\n")
        return out

    def _cards(self, card: ClientCard) -> Text:
        if not card.cards:
            return Text("No saved card.", style="dim")
        out = Text()
        for c in card.cards:
            out.append_text(
                join(
                    (c.label, "bold"),
                    f"  {c.expiry}",
                    ("  default" if c.is_default else "", "green"),
                    "\n",
                )
            )
        return out

    # -- the paged lists ---------------------------------------------------------------------

    def _invoices(self, offset: int, limit: int) -> TablePage:
        door, fmt = self.ctx.door, self.ctx.fmt
        rows, total = door.client_invoices(self.client_id, offset, limit)
        return TablePage(
            [
                (
                    str(inv.id),
                    [
                        inv.number,
                        fmt.date(inv.issue_date),
                        fmt.date(inv.due_date),
                        money_cell(fmt.money(inv.total, inv.currency)),
                        money_cell(fmt.money(inv.balance, inv.currency)),
                        Text(status_label(inv), style="bold red" if inv.overdue else ""),
                    ],
                )
                for inv in rows
            ],
            offset,
            total,
        )

    def _payments(self, offset: int, limit: int) -> TablePage:
        fmt = self.ctx.fmt
        rows, total = self.ctx.door.client_payments(self.client_id, offset, limit)
        return TablePage(
            [
                (
                    str(p.id),
                    [
                        self.ctx.stamp(p.at),
                        p.reference,
                        money_cell(fmt.money(p.amount, p.currency)),
                        money_cell(fmt.money(p.refunded, p.currency) if p.refunded else "—"),
                        p.card,
                        fmt.date(business_today(self.ctx.timezone, p.at)),
                    ],
                )
                for p in rows
            ],
            offset,
            total,
        )

    def _audit(self, found, offset: int) -> TablePage:
        rows, total = found
        return TablePage(
            [(str(e.id), [self.ctx.stamp(e.at), e.actor, e.action, e.subject]) for e in rows],
            offset,
            total,
        )

    # -- keys --------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_statement(self) -> None:
        self.post_message(OpenStatement(self.client_id))

    def action_tab(self, key: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{key}"

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        tabs = self.query_one(TabbedContent)
        key = tabs.active.removeprefix("tab-")
        if key == "contacts":
            self.query_one("#client-contacts", DataTable).focus()
        pane = tabs.get_pane(tabs.active)
        if key in PAGED and not pane.children:
            pane.mount(*self._pane(key))
        self.refresh_bindings()

    # -- changes: the client, its contacts, their logins -------------------------------------

    def contact(self) -> ContactView | None:
        """The contact under the cursor on the Contacts tab (None elsewhere, or none)."""
        if self.card is None or not self.card.contacts:
            return None
        if self.query_one(TabbedContent).active != "tab-contacts":
            return None
        table = self.query_one("#client-contacts", DataTable)
        return self.card.contacts[min(table.cursor_row, len(self.card.contacts) - 1)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            return self.card is not None
        if action == "new_recurring":
            return self.card is not None and self.query_one(TabbedContent).active == "tab-recurring"
        if action == "new_contact":
            return self.card is not None and self.query_one(TabbedContent).active == "tab-contacts"
        contact = self.contact()
        if action in ("edit_contact", "remove"):
            return contact is not None
        if action == "invite":  # a login with a password is refused in one line, as by the CLI
            return self.card is not None and self.query_one(TabbedContent).active == "tab-contacts"
        if action == "disable":
            return contact is not None and not contact.disabled
        if action == "enable":
            return contact is not None and contact.disabled
        return True

    @on(DataTable.RowHighlighted, "#client-contacts")
    def _contact_moved(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#client-contacts")
    def _contact_chosen(self) -> None:
        self.action_edit_contact()

    def _changed(self, done: object) -> None:
        if done is not None:
            self._load()

    def action_edit(self) -> None:
        if self.card is not None:
            self.app.push_screen(client_form(self.ctx.door.client_edits, self.card.client),
                                 self._changed)  # fmt: skip

    def action_new_contact(self) -> None:
        self.app.push_screen(contact_form(self.ctx.door.client_edits, self.client_id),
                             self._changed)  # fmt: skip

    def action_edit_contact(self) -> None:
        contact = self.contact()
        if contact is not None:
            edits = self.ctx.door.client_edits
            self.app.push_screen(contact_form(edits, self.client_id, contact), self._changed)

    def action_disable(self) -> None:
        contact = self.contact()
        if contact is not None:
            edits = self.ctx.door.client_edits
            self.app.push_screen(disable_question(edits, contact), self._changed)

    def action_remove(self) -> None:
        contact = self.contact()
        if contact is not None:
            edits = self.ctx.door.client_edits
            self.app.push_screen(remove_question(edits, contact), self._changed)

    def action_enable(self) -> None:
        contact = self.contact()
        if contact is not None:
            self._enable(contact)

    @work(thread=True, exit_on_error=False, group="contact")
    def _enable(self, contact: ContactView) -> None:
        self.ctx.door.client_edits.set_enabled(contact.id, True)
        self.app.call_from_thread(self.notify, f"{contact.email} can sign in again.", markup=False)
        self.app.call_from_thread(self._load)

    def action_invite(self) -> None:
        if self.card is not None:
            self._invite(self.contact())

    @work(thread=True, exit_on_error=False, group="contact")
    def _invite(self, contact: ContactView | None) -> None:
        """The contact under the cursor, or with none yet the client's billing email (its login
        is made). A refusal (a login with a password) is a PaydeskError: one line on screen."""
        edits = self.ctx.door.client_edits
        if contact is None:
            email = edits.invite_client(self.client_id).email
        else:
            email = edits.invite(contact.id).email
        self.app.call_from_thread(
            self.notify, f"Invitation sent to {email} (a code to set a password).", markup=False
        )
        self.app.call_from_thread(self._load)
