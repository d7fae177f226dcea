"""The console's client changes through the door: add and edit a client, its contacts, invite
one, disable (enable) a login; each refused in one line naming the field, each audited as the
owner (who and from where). The invitation goes through the real mailer to the outbox."""

from __future__ import annotations

import json
import re

import pytest
import time_machine

from models import AuditLog, Client, Contact
from services.accounts.identity import LOGIN_DISABLED, LoginError
from services.clients.clients import ClientError
from services.demo import seed_demo
from services.doors.admin import AdminActor
from tests.fixtures.kiosk import FROZEN, TODAY

KEY = "SHA256:abcDEF0123456789abcDEF0123456789abcDEF01234"
WHERE = "198.51.100.9"
CODE = re.compile(r"Your code is:\s+(\S+)")


@pytest.fixture
def edits(pay_services):
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(pay_services, today=TODAY)
        yield pay_services.admin(AdminActor.ssh_key(KEY, WHERE)).client_edits


def audited(action: str) -> list[tuple[str, str, dict]]:
    rows = AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)
    return [(r.actor, r.source_address, json.loads(r.detail or "{}")) for r in rows]


def test_a_client_is_added_and_edited_as_the_owner(edits):
    made = edits.create(" Kestrel Labs ", "Billing@Kestrel.Example", "1 Main St\nSpringfield")
    row = Client.get_by_id(made.id)
    assert (row.name, row.email, row.address) == (
        "Kestrel Labs",
        "billing@kestrel.example",
        "1 Main St\nSpringfield",
    )
    assert not Contact.select().where(Contact.client == made.id).exists()
    edited = edits.edit(made.id, "Kestrel Labs Ltd", "billing@kestrel.example", "2 Main St")
    assert edited.name == "Kestrel Labs Ltd" and edited.address == "2 Main St"
    actor = f"admin:key:{KEY}"
    assert audited("client.created")[-1][:2] == (actor, WHERE)
    assert audited("client.edited") == [
        (
            actor,
            WHERE,
            {
                "changes": {
                    "name": ["Kestrel Labs", "Kestrel Labs Ltd"],
                    "address": ["1 Main St\\nSpringfield", "2 Main St"],  # one line, escaped
                }
            },
        )
    ]


@pytest.mark.parametrize(
    ("name", "email", "postal", "field", "message"),
    [
        ("  ", "a@b.example", "", "name", "Enter the client's name."),
        ("Acme", "not-an-email", "", "email", "Enter a valid email address."),
        ("Ev\x1b]0;x\x07il", "a@b.example", "", "name", "name: holds a control character (ESC)"),
        ("Acme", "a@b.example", "1 Main\x1b[2J", "address", "address: holds a control"),
        ("Acme", "client@example.com", "", "email", "client@example.com already has a login"),
    ],
)
def test_a_refused_client_names_its_field_and_writes_nothing(
    edits, name, email, postal, field, message
):
    before = Client.select().count()
    with pytest.raises(ClientError, match=re.escape(message)) as refused:
        edits.create(name, email, postal)
    assert refused.value.field == field and "\n" not in refused.value.message
    assert Client.select().count() == before


def test_contacts_are_added_edited_and_removed_as_the_owner(edits):
    client = Client.get(Client.email == "client@example.com").id
    added = edits.add_contact(client, "Robin Ames", " Robin@Acme.Example ")
    assert (added.email, added.name) == ("robin@acme.example", "Robin Ames")
    assert not added.has_password
    with pytest.raises(ClientError, match="already exists") as taken:
        edits.add_contact(client, "Again", "robin@acme.example")
    assert taken.value.field == "email"
    with pytest.raises(ClientError, match="already has a login") as clash:
        edits.edit_contact(added.id, "Robin", "client@example.com")
    assert clash.value.field == "email"
    with pytest.raises(ClientError, match="control character") as bad:
        edits.edit_contact(added.id, "Rob\x07in", "robin@acme.example")
    assert bad.value.field == "name"
    edited = edits.edit_contact(added.id, "Robin A.", "robin.a@acme.example")
    assert (edited.name, edited.email) == ("Robin A.", "robin.a@acme.example")
    edits.remove_contact(added.id)
    assert Contact.get_or_none(Contact.id == added.id) is None
    actor = (f"admin:key:{KEY}", WHERE)
    assert [a[:2] for a in audited("contact.created")][-1] == actor
    assert audited("contact.edited")[-1] == (
        *actor,
        {
            "client": client,
            "changes": {
                "name": ["Robin Ames", "Robin A."],
                "email": ["robin@acme.example", "robin.a@acme.example"],
            },
        },
    )
    assert audited("contact.removed") == [
        (*actor, {"client": client, "email": "robin.a@acme.example"})
    ]


def test_a_contact_is_invited_by_email_and_one_with_a_password_refused(edits, pay_services):
    client = Client.get(Client.email == "client@example.com").id
    added = edits.add_contact(client, "Robin", "robin@acme.example")
    edits.invite(added.id)
    pay_services.accounts.wait_for_mail()
    (mail,) = [m for m in pay_services.mailer.outbox_messages() if m["To"] == "robin@acme.example"]
    code = CODE.search(mail.get_body(("plain",)).get_content())[1]  # type: ignore[index]
    pay_services.accounts.reset_password("robin@acme.example", code, "a brand new passphrase")
    assert pay_services.accounts.login("robin@acme.example", "a brand new passphrase").client_id
    assert audited("contact.invited") == [(f"admin:key:{KEY}", WHERE, {"sent": True})]

    with pytest.raises(ClientError) as refused:
        edits.invite(added.id)
    assert refused.value.message == (
        "robin@acme.example already has a login with a password; no invitation sent (they "
        'can choose "Forgot password?" on the sign-in screen)'
    )
    other = edits.add_contact(client, "Sam", "sam@acme.example")
    edits.set_enabled(other.id, False)
    with pytest.raises(ClientError, match="the login sam@acme.example is disabled; no invitation"):
        edits.invite(other.id)


def test_a_disabled_login_cannot_sign_in_until_enabled_again(edits, pay_services):
    accounts = pay_services.accounts
    contact = Contact.get(Contact.email == "client@example.com")
    session = accounts.login("client@example.com", "paydesk-demo")
    off = edits.set_enabled(contact.id, False)
    assert off.disabled and accounts.session_ended(session) is not None
    with pytest.raises(LoginError, match=LOGIN_DISABLED):
        accounts.login("client@example.com", "paydesk-demo")
    on = edits.set_enabled(contact.id, True)
    assert not on.disabled
    assert accounts.login("client@example.com", "paydesk-demo").contact_id == contact.id
    assert [(a, w, d) for a, w, d in audited("contact.edited")] == [
        (
            f"admin:key:{KEY}",
            WHERE,
            {
                "client": contact.client_id,
                "changes": {"disabled": [False, True]},
                "revoked": {"recovery_codes": 0, "invoice_codes": 0},
            },
        ),
        (
            f"admin:key:{KEY}",
            WHERE,
            {"client": contact.client_id, "changes": {"disabled": [True, False]}},
        ),
    ]
