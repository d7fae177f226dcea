"""The console's client changes: add and edit a client and its contacts, invite a contact,
disable (enable) a login. Each is the client service's own call, audited as the owner
(`AdminActor.actor`, from `AdminActor.address`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.clients.clients import ClientChanges, ClientView, ContactChanges, ContactView
from services.emails.billing import Door

if TYPE_CHECKING:
    from services.container import Services
    from services.doors.admin import AdminActor


class AdminClients:
    """What the owner may change about clients and their logins (ClientError refuses)."""

    def __init__(self, services: Services, who: AdminActor, business_id: int) -> None:
        self._clients = services.clients
        self._config = services.config
        self._who = who
        self._business_id = business_id

    def create(self, name: str, email: str, postal: str = "") -> ClientView:
        """A new client with no login yet (add a contact, then invite it)."""
        who = self._who
        return self._clients.create(
            self._business_id, name, email, actor=who.actor, address=who.address, postal=postal
        )

    def edit(self, client_id: int, name: str, email: str, postal: str) -> ClientView:
        changes = ClientChanges(name=name, email=email, address=postal)
        return self._clients.edit(client_id, changes, self._who.actor, self._who.address)

    def add_contact(self, client_id: int, name: str, email: str) -> ContactView:
        """A login with no password: the contact sets one from an invitation."""
        who = self._who
        return self._clients.add_contact(
            client_id, email, None, name=name, actor=who.actor, address=who.address
        )

    def edit_contact(self, contact_id: int, name: str, email: str) -> ContactView:
        changes = ContactChanges(name=name, email=email)
        return self._clients.edit_contact(contact_id, changes, self._who.actor, self._who.address)

    def remove_contact(self, contact_id: int) -> None:
        self._clients.remove_contact(contact_id, self._who.actor, self._who.address)

    def invite(self, contact_id: int) -> ContactView:
        """Email the contact a code to set a password in the kiosk (as `paydesk client
        invite` does); refused for a login that has a password."""
        login = Door.stored(self._config).login_command()
        return self._clients.invite_contact(contact_id, login, self._who.actor, self._who.address)

    def invite_client(self, client_id: int) -> ClientView:
        """Invite the client's billing email, making its login first if it has none (exactly
        `paydesk client invite EMAIL`)."""
        email = self._clients.get(client_id).email
        login = Door.stored(self._config).login_command()
        return self._clients.invite(email, login, self._who.actor, self._who.address)

    def set_enabled(self, contact_id: int, enabled: bool) -> ContactView:
        """Disable a login (it cannot sign in, its kiosk sessions end within seconds) or
        enable it again."""
        changes = ContactChanges(disabled=not enabled)
        return self._clients.edit_contact(contact_id, changes, self._who.actor, self._who.address)
