"""Clients and their contacts: created, listed and edited here, with an audit row each time."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from models import Client, Contact, db
from services.accounts.accounts import AccountService
from services.accounts.identity import AccountError, normalize_email, valid_email
from services.audit import audit
from services.errors import PaydeskError


class ClientError(PaydeskError):
    """A client or contact change that cannot be made; the message names the field."""


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
    ) -> ClientView:
        """A new client; with a password, also its login (same email). Refused as a whole.

        The email must be valid and have no login yet, and the password must pass the
        policy, before anything is written.
        """
        normalized = normalize_email(email)
        if Contact.select().where(Contact.email == normalized).exists():
            raise ClientError(f"{normalized} already has a login")
        if not valid_email(normalized):
            raise ClientError(f"{email!r}: Enter a valid email address.")
        if password is not None:
            problem = self.accounts.check_password_policy(password)
            if problem:
                raise ClientError(problem)
        try:
            with db.atomic():
                client = Client.create(business=business_id, name=name, email=normalized)
                audit(
                    actor,
                    "client.created",
                    f"client:{client.id}",
                    {"name": name, "email": normalized, "login": password is not None},
                    address,
                )
                if password is not None:
                    self.accounts.create_contact(
                        business_id, client.id, normalized, password, name=name, actor=actor
                    )
        except AccountError as exc:
            raise ClientError(exc.message) from None
        return _view(client)

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
        before = self.get(client_id)
        fields: dict[str, object] = {}
        if changes.name is not None and changes.name.strip() != before.name:
            if not changes.name.strip():
                raise ClientError("Enter the client's name.")
            fields["name"] = changes.name.strip()
        if changes.email is not None and normalize_email(changes.email) != before.email:
            if not valid_email(normalize_email(changes.email)):
                raise ClientError(f"{changes.email!r}: Enter a valid email address.")
            fields["email"] = normalize_email(changes.email)
        if changes.address is not None and changes.address != before.address:
            fields["address"] = changes.address
        if changes.archived is not None and changes.archived != before.archived:
            fields["archived"] = changes.archived
        if not fields:
            return before
        with db.atomic():
            Client.update(fields).where(Client.id == client_id).execute()
            audit(actor, "client.edited", f"client:{client_id}", fields, address)
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
    ) -> ContactView:
        """A new login for a client (audited by the accounts service)."""
        client = self.get(client_id)
        try:
            contact_id = self.accounts.create_contact(
                client.business_id, client.id, email, password, name=name, actor=actor
            )
        except AccountError as exc:
            raise ClientError(exc.message) from None
        return _contact_view(Contact.get_by_id(contact_id))

    def edit_contact(
        self, contact_id: int, changes: ContactChanges, actor: str, address: str = ""
    ) -> ContactView:
        """Rename or disable (enable) a login; one audit row names what changed."""
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise ClientError(f"no contact with id {contact_id}")
        fields: dict[str, object] = {}
        if changes.name is not None and changes.name.strip() != contact.name:
            fields["name"] = changes.name.strip()
        if changes.disabled is not None and changes.disabled != contact.disabled:
            fields["disabled"] = changes.disabled
        if fields:
            with db.atomic():
                Contact.update(fields).where(Contact.id == contact_id).execute()
                audit(actor, "contact.edited", f"contact:{contact_id}", fields, address)
        return _contact_view(Contact.get_by_id(contact_id))


def find_by_ref(ref: str) -> ClientView | None:
    """The client with this id (all digits) or this billing email, or None."""
    query = Client.id == int(ref) if ref.isdigit() else Client.email == normalize_email(ref)
    client = Client.get_or_none(query)
    return _view(client) if client is not None else None


def _view(client: Client) -> ClientView:
    return ClientView(
        id=int(client.id),
        business_id=int(client.business_id),
        name=client.name,
        email=client.email,
        address=client.address,
        archived=bool(client.archived),
    )


def _contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=int(contact.id),
        client_id=contact.client_id,
        email=contact.email,
        name=contact.name,
        role=contact.role,
        disabled=bool(contact.disabled),
        has_password=bool(contact.password_hash),
    )
