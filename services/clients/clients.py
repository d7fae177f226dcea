"""Clients and their contacts: created, listed and edited here, with an audit row each time."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import peewee

from models import AccessCode, Client, Contact, PasswordReset, db, utcnow
from services.accounts.accounts import AccountService
from services.accounts.identity import AccountError, normalize_email, valid_email
from services.audit import audit, before_after
from services.errors import PaydeskError
from services.text import control_problem, visible


class ClientError(PaydeskError):
    """A client or contact change that cannot be made; the message names the field, and
    `field` says which one ("name", "email", "address"; "" when it is no one field)."""

    def __init__(self, message: str = "", field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClientView:
    """One client as plain data."""

    id: int
    business_id: int
    name: str
    email: str
    address: str
    archived: bool


@dataclass(frozen=True)
class ContactView:
    """One login of a client (or the owner's), without its password hash."""

    id: int
    client_id: int | None
    email: str
    name: str
    role: str
    disabled: bool
    has_password: bool


@dataclass(frozen=True)
class ClientChanges:
    """What an edit sets; None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    address: str | None = None
    archived: bool | None = None


@dataclass(frozen=True)
class ContactChanges:
    """What a contact edit sets; None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    disabled: bool | None = None


class ClientService:
    """Creates, lists and edits clients and contacts; every change leaves an audit row."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    def create(
        self,
        business_id: int,
        name: str,
        email: str,
        password: str | None = None,
        actor: str = "system",
        address: str = "",
        postal: str = "",
    ) -> ClientView:
        """A new client; with a password, also its login (same email). Refused as a whole.

        The name must be given, the email valid with no login yet, `postal` (its postal
        address, several lines) plain text, and the password must pass the policy, before
        anything is written. `address` is where the request came from, for the audit row.
        """
        problems = client_problems(name, email, postal)
        if problems:
            field, message = next(iter(problems.items()))
            raise ClientError(message, field)
        normalized = normalize_email(email)
        if Contact.select().where(Contact.email == normalized).exists():
            raise ClientError(f"{normalized} already has a login", "email")
        if password is not None:
            problem = self.accounts.check_password_policy(password)
            if problem:
                raise ClientError(problem, "password")
        try:
            with db.atomic():
                client = Client.create(
                    business=business_id, name=name.strip(), email=normalized, address=postal
                )
                audit(
                    actor,
                    "client.created",
                    f"client:{client.id}",
                    {"name": name.strip(), "email": normalized, "login": password is not None},
                    address,
                )
                if password is not None:
                    self.accounts.create_contact(
                        business_id, client.id, normalized, password, name=name, actor=actor
                    )
        except AccountError as exc:
            raise ClientError(exc.message) from None
        return _view(client)

    def invite(
        self, email: str, login_command: str, actor: str = "system", address: str = ""
    ) -> ClientView:
        """Email a client with no login a code to set a password (its login is made, with no
        password, if it has none). A client whose login has a password is refused: it
        recovers its password from the sign-in screen. ClientError if the email was not sent.
        """
        normalized = normalize_email(email)
        client = Client.get_or_none(Client.email == normalized)
        if client is None:
            raise ClientError(f"no client with the email {normalized!r}")
        contact = Contact.get_or_none(Contact.email == normalized)
        if contact is None:
            try:
                contact_id = self.accounts.create_contact(
                    client.business_id, client.id, normalized, None, name=client.name,
                    actor=actor, address=address,
                )  # fmt: skip
            except AccountError as exc:
                raise ClientError(exc.message) from None
        else:
            contact_id = contact.id
        self.invite_contact(contact_id, login_command, actor, address)
        return _view(client)

    def invite_contact(
        self, contact_id: int, login_command: str, actor: str = "system", address: str = ""
    ) -> ContactView:
        """Email one login with no password a code to set one (see `invite`); refused in one
        line for a login that has a password or is disabled, or if the email was not sent."""
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise ClientError(f"no contact with id {contact_id}")
        email = visible(contact.email)
        if contact.password_hash:
            raise ClientError(
                f"{email} already has a login with a password; no invitation sent (they "
                'can choose "Forgot password?" on the sign-in screen)'
            )
        if contact.disabled:
            raise ClientError(f"the login {email} is disabled; no invitation sent")
        if not self.accounts.invite(contact.id, login_command, actor, address):
            raise ClientError(
                f"the invitation to {email} could not be sent (see `paydesk failures`); "
                "send it again for a new one"
            )
        return _contact_view(contact)

    def list(self, business_id: int | None = None) -> list[ClientView]:
        """Every client (of one business, if given), oldest first."""
        query = Client.select().order_by(Client.id)
        if business_id is not None:
            query = query.where(Client.business == business_id)
        return [_view(client) for client in query]

    def get(self, client_id: int) -> ClientView:
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise ClientError(f"no client with id {client_id}")
        return _view(client)

    def find(self, ref: str) -> ClientView | None:
        """The client with this id (all digits) or this billing email, or None."""
        return find_by_ref(ref)

    def edit(
        self, client_id: int, changes: ClientChanges, actor: str, address: str = ""
    ) -> ClientView:
        """Apply the changes that differ; one audit row names them (none: nothing written)."""
        problems = client_problems(changes.name, changes.email, changes.address)
        if problems:
            field, message = next(iter(problems.items()))
            raise ClientError(message, field)
        before = self.get(client_id)
        fields: dict[str, object] = {}
        if changes.name is not None and changes.name.strip() != before.name:
            fields["name"] = changes.name.strip()
        if changes.email is not None and normalize_email(changes.email) != before.email:
            fields["email"] = normalize_email(changes.email)
        if changes.address is not None and changes.address != before.address:
            fields["address"] = changes.address
        if changes.archived is not None and changes.archived != before.archived:
            fields["archived"] = changes.archived
        if not fields:
            return before
        with db.atomic():
            Client.update(fields).where(Client.id == client_id).execute()
            was = {field: getattr(before, field) for field in fields}
            detail = {"changes": before_after(was, fields)}
            audit(actor, "client.edited", f"client:{client_id}", detail, address)
        return self.get(client_id)

    def contacts(self, client_id: int) -> builtins.list[ContactView]:
        """A client's logins, oldest first."""
        query = Contact.select().where(Contact.client == client_id).order_by(Contact.id)
        return [_contact_view(contact) for contact in query]

    def add_contact(
        self,
        client_id: int,
        email: str,
        password: str | None,
        name: str = "",
        actor: str = "system",
        address: str = "",
    ) -> ContactView:
        """A new login for a client (audited by the accounts service)."""
        client = self.get(client_id)
        problems = contact_problems(name, email)
        if problems:
            field, message = next(iter(problems.items()))
            raise ClientError(message, field)
        try:
            contact_id = self.accounts.create_contact(
                client.business_id, client.id, email, password, name=name, actor=actor,
                address=address,
            )  # fmt: skip
        except AccountError as exc:
            raise ClientError(exc.message, "email") from None
        return _contact_view(Contact.get_by_id(contact_id))

    def edit_contact(
        self, contact_id: int, changes: ContactChanges, actor: str, address: str = ""
    ) -> ContactView:
        """Rename, re-address or disable (enable) a login; one audit row names what changed.
        A disabled login cannot sign in, and its open kiosk sessions end (see
        AccountService.session_ended)."""
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise ClientError(f"no contact with id {contact_id}")
        problems = contact_problems(changes.name, changes.email)
        if problems:
            field, message = next(iter(problems.items()))
            raise ClientError(message, field)
        fields: dict[str, object] = {}
        if changes.name is not None and changes.name.strip() != contact.name:
            fields["name"] = changes.name.strip()
        if changes.email is not None and normalize_email(changes.email) != contact.email:
            fields["email"] = normalize_email(changes.email)
        if changes.disabled is not None and changes.disabled != contact.disabled:
            fields["disabled"] = changes.disabled
        if fields:
            try:
                with db.atomic():
                    Contact.update(fields).where(Contact.id == contact_id).execute()
                    was = {field: getattr(contact, field) for field in fields}
                    detail: dict = {
                        "client": contact.client_id,
                        "changes": before_after(was, fields),
                    }
                    if fields.get("disabled"):
                        detail["revoked"] = _revoke_codes(contact_id)
                    audit(actor, "contact.edited", f"contact:{contact_id}", detail, address)
            except peewee.IntegrityError:
                raise ClientError(f"{fields['email']} already has a login", "email") from None
        return _contact_view(Contact.get_by_id(contact_id))

    def remove_contact(self, contact_id: int, actor: str, address: str = "") -> None:
        """Delete a client's login (its recovery codes go with it; its invoice codes stay,
        with no contact). Its open kiosk sessions end. The owner's own login is refused."""
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise ClientError(f"no contact with id {contact_id}")
        if contact.client_id is None:
            raise ClientError("the owner's login cannot be removed here")
        with db.atomic():
            Contact.delete().where(Contact.id == contact_id).execute()
            audit(
                actor,
                "contact.removed",
                f"contact:{contact_id}",
                {"client": contact.client_id, "email": contact.email},
                address,
            )


def _revoke_codes(contact_id: int) -> dict[str, int]:
    """A disabled login's codes stop working: its recovery (or invitation) codes, which
    would set a password while it is disabled, and the [View Invoice] codes mailed to it."""
    now = utcnow()
    recovery = (
        PasswordReset.update(used_at=now)
        .where((PasswordReset.contact == contact_id) & PasswordReset.used_at.is_null())
        .execute()
    )
    invoices = (
        AccessCode.update(revoked_at=now)
        .where((AccessCode.contact == contact_id) & AccessCode.revoked_at.is_null())
        .execute()
    )
    return {"recovery_codes": recovery, "invoice_codes": invoices}


def client_problems(
    name: str | None, email: str | None, postal: str | None = None
) -> dict[str, str]:
    """What is wrong with a client's fields, field by field (none given: not checked)."""
    problems = _controls({"name": name, "email": email})
    if postal and control_problem("address", postal, lines=True):
        problems["address"] = control_problem("address", postal, lines=True)
    if name is not None and "name" not in problems and not name.strip():
        problems["name"] = "Enter the client's name."
    if email is not None and "email" not in problems and not valid_email(normalize_email(email)):
        problems["email"] = f"{email.strip()!r}: Enter a valid email address."
    return problems


def contact_problems(name: str | None, email: str | None) -> dict[str, str]:
    """What is wrong with a contact's fields, field by field (the name may be empty)."""
    problems = _controls({"name": name, "email": email})
    if email is not None and "email" not in problems and not valid_email(normalize_email(email)):
        problems["email"] = f"{email.strip()!r}: Enter a valid email address."
    return problems


def _controls(fields: dict[str, str | None]) -> dict[str, str]:
    found = {what: control_problem(what, text) for what, text in fields.items()}
    return {what: problem for what, problem in found.items() if problem}


def find_by_ref(ref: str) -> ClientView | None:
    """The client with this id (all digits) or this billing email, or None."""
    query = Client.id == int(ref) if ref.isdigit() else Client.email == normalize_email(ref)
    client = Client.get_or_none(query)
    return _view(client) if client is not None else None


def _view(client: Client) -> ClientView:
    return ClientView(
        id=int(client.id),
        business_id=int(client.business_id),
        name=visible(client.name),
        email=visible(client.email),
        address=visible(client.address, lines=True),
        archived=bool(client.archived),
    )


def _contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=int(contact.id),
        client_id=contact.client_id,
        email=visible(contact.email),
        name=visible(contact.name),
        role=contact.role,
        disabled=bool(contact.disabled),
        has_password=bool(contact.password_hash),
    )
