"""The console's client forms: add or edit a client, add or edit a contact, and the questions
asked before a login is disabled or a contact removed."""

from __future__ import annotations

from screens.admin.form_dialog import Field, FormDialog
from services.clients.clients import (
    ClientView,
    ContactView,
    client_problems,
    contact_problems,
)
from services.doors.admin_clients import AdminClients


def client_form(edits: AdminClients, client: ClientView | None = None) -> FormDialog[ClientView]:
    """Add a client (None) or edit this one."""
    fields = [
        Field("name", "Name", client.name if client else ""),
        Field("email", "Billing email", client.email if client else ""),
        Field("address", "Postal address", client.address if client else "", lines=2),
    ]

    def check(v: dict[str, str]) -> dict[str, str]:
        return client_problems(v["name"], v["email"], v["address"])

    def save(v: dict[str, str]) -> ClientView:
        if client is None:
            return edits.create(v["name"], v["email"], v["address"])
        return edits.edit(client.id, v["name"], v["email"], v["address"])

    title = "Add a client" if client is None else f"Edit {client.name}"
    return FormDialog(title, fields, check, save, yes="Add" if client is None else "Save")


def contact_form(
    edits: AdminClients, client_id: int, contact: ContactView | None = None
) -> FormDialog[ContactView]:
    """Add a contact to the client (None) or edit this one. A new contact has no password:
    invite it (i) to set one in the kiosk."""
    fields = [
        Field("name", "Name", contact.name if contact else ""),
        Field("email", "Email (their login)", contact.email if contact else ""),
    ]

    def check(v: dict[str, str]) -> dict[str, str]:
        return contact_problems(v["name"], v["email"])

    def save(v: dict[str, str]) -> ContactView:
        if contact is None:
            return edits.add_contact(client_id, v["name"], v["email"])
        return edits.edit_contact(contact.id, v["name"], v["email"])

    if contact is None:
        title, body = "Add a contact", "A new login, with no password: invite it (i) to set one."
    else:
        title, body = f"Edit {contact.email}", ""
    return FormDialog(title, fields, check, save, yes="Add" if contact is None else "Save",
                      body=body)  # fmt: skip


def disable_question(edits: AdminClients, contact: ContactView) -> FormDialog[ContactView]:
    body = (
        f"{contact.email} will no longer sign in to the kiosk, and where it is signed in now "
        "it is signed out within seconds. You can enable it again."
    )
    return FormDialog(
        "Disable this login?", [], lambda v: {},
        lambda v: edits.set_enabled(contact.id, False), yes="Disable", body=body,
    )  # fmt: skip


def remove_question(edits: AdminClients, contact: ContactView) -> FormDialog[bool]:
    body = (
        f"{contact.email} is removed from this client: it can no longer sign in, and where "
        "it is signed in now it is signed out within seconds. Its invoices and payments stay."
    )

    def remove(v: dict[str, str]) -> bool:
        edits.remove_contact(contact.id)
        return True

    return FormDialog("Remove this contact?", [], lambda v: {}, remove, yes="Remove", body=body)
