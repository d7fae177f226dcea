"""Clients and contacts: created, listed and edited through the service, each change audited."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from models import AccessCode, AuditLog, Client, Contact, Invoice, PasswordReset, utcnow
from services.clients.clients import ClientChanges, ClientError, ClientService, ContactChanges
from tests.fixtures.accounts import PASSWORD


@pytest.fixture
def clients(accounts) -> ClientService:
    return ClientService(accounts)


def rows(action: str) -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


def test_create_writes_the_client_and_one_audit_row_naming_the_actor(clients, business):
    made = clients.create(business.id, "Acme Dental", " Office@Acme.Example ", actor="cli")
    assert (made.name, made.email, made.business_id) == (
        "Acme Dental",
        "office@acme.example",
        business.id,
    )
    assert not Contact.select().exists()
    (row,) = rows("client.created")
    assert row.actor == "cli" and row.subject == f"client:{made.id}"
    assert json.loads(row.detail)["login"] is False


def test_create_with_a_password_also_makes_the_login(clients, accounts, business):
    made = clients.create(business.id, "Acme", "dana@acme.example", PASSWORD, actor="contact:1")
    assert accounts.login("dana@acme.example", PASSWORD).client_id == made.id
    (contact,) = clients.contacts(made.id)
    assert contact.email == "dana@acme.example" and contact.has_password
    assert rows("contact.created")[0].actor == "contact:1"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", None, "valid email"),
        ("dana@acme.example", "password", "too common"),
    ],
)
def test_a_refused_create_writes_nothing(clients, business, email, password, message):
    with pytest.raises(ClientError, match=message):
        clients.create(business.id, "Acme", email, password)
    assert not Client.select().exists() and not rows("client.created")


def test_an_email_with_a_login_is_refused(clients, business):
    clients.create(business.id, "Acme", "dana@acme.example", PASSWORD)
    with pytest.raises(ClientError, match="already has a login"):
        clients.create(business.id, "Other", "DANA@acme.example")
    assert len(clients.list()) == 1


def test_list_and_find(clients, business):
    first = clients.create(business.id, "Acme", "a@acme.example")
    second = clients.create(business.id, "Birch", "b@birch.example")
    assert [c.id for c in clients.list()] == [first.id, second.id]
    assert [c.id for c in clients.list(business.id + 1)] == []
    assert clients.find(str(second.id)) == second
    assert clients.find(" B@Birch.Example") == second
    assert clients.find("nobody@example.com") is None


def test_edit_changes_what_differs_and_audits_it_once(clients, business):
    made = clients.create(business.id, "Acme", "a@acme.example")
    same = clients.edit(made.id, ClientChanges(name="Acme"), actor="cli")
    assert same == made and not rows("client.edited")
    edited = clients.edit(
        made.id, ClientChanges(name=" Acme Dental ", address="1 Main St"), actor="contact:7"
    )
    assert (edited.name, edited.address, edited.email) == ("Acme Dental", "1 Main St", made.email)
    (row,) = rows("client.edited")
    assert row.actor == "contact:7"
    assert json.loads(row.detail) == {
        "changes": {"name": ["Acme", "Acme Dental"], "address": ["", "1 Main St"]}
    }
    with pytest.raises(ClientError, match="valid email"):
        clients.edit(made.id, ClientChanges(email="nope"), actor="cli")
    with pytest.raises(ClientError, match="name"):
        clients.edit(made.id, ClientChanges(name="  "), actor="cli")
    assert len(rows("client.edited")) == 1


def test_contacts_are_added_and_edited_with_audit_rows(clients, accounts, business):
    made = clients.create(business.id, "Acme", "a@acme.example")
    contact = clients.add_contact(made.id, "dana@acme.example", PASSWORD, "Dana", actor="cli")
    assert rows("contact.created")[0].actor == "cli"
    disabled = clients.edit_contact(contact.id, ContactChanges(disabled=True), actor="cli")
    assert disabled.disabled
    (row,) = rows("contact.edited")
    assert row.actor == "cli" and json.loads(row.detail) == {
        "client": made.id,
        "changes": {"disabled": [False, True]},
        "revoked": {"recovery_codes": 0, "invoice_codes": 0},
    }
    with pytest.raises(ClientError, match="already exists"):
        clients.add_contact(made.id, "dana@acme.example", PASSWORD)


def test_disabling_a_login_ends_its_recovery_and_invoice_codes(clients, accounts, business):
    made = clients.create(business.id, "Acme", "a@acme.example")
    contact = clients.add_contact(made.id, "dana@acme.example", PASSWORD, "Dana", actor="cli")
    invoice = Invoice.create(
        business=business.id, client=made.id, number="INV-0001", currency="USD",
        issue_date=date(2026, 3, 1), due_date=date(2026, 3, 15), status="sent",
        subtotal=5000, total=5000,
    )  # fmt: skip
    later = utcnow() + timedelta(days=7)
    code = AccessCode.create(invoice=invoice, contact=contact.id, code_hash="h", expires_at=later)
    reset = PasswordReset.create(contact=contact.id, code_hash="r", expires_at=later)
    clients.edit_contact(contact.id, ContactChanges(disabled=True), actor="cli")
    assert AccessCode.get_by_id(code.id).revoked_at is not None
    assert PasswordReset.get_by_id(reset.id).used_at is not None
    (row,) = rows("contact.edited")
    assert json.loads(row.detail)["revoked"] == {"recovery_codes": 1, "invoice_codes": 1}
