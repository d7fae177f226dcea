"""The console's payments: the list, one payment's detail, and refunds (audited as the owner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.console.payment_detail import PaymentDetail, payment_detail
from services.console.payment_list import PaymentPage, PaymentQuery, payment_page
from services.errors import PaydeskError
from services.payments.refund_reasons import refund_reason
from services.text import visible

if TYPE_CHECKING:
    from models import Business
    from services.container import Services
    from services.doors.admin import AdminActor


class WrongPassword(PaydeskError):
    """The owner's password, asked again before a refund, was not right."""


class AdminPayments:
    """What the Payments section asks of the services, for one owner (`who`)."""

    def __init__(self, services: Services, who: AdminActor, business: Business) -> None:
        self._services = services
        self.who = who
        self.business = business

    def page(
        self, ask: PaymentQuery | None = None, offset: int = 0, limit: int = 50
    ) -> PaymentPage:
        """One page of payments (see PaymentQuery), counted and read in two statements."""
        b = self.business
        return payment_page(b.id, b.timezone, ask or PaymentQuery(), offset, limit)

    def detail(self, payment_id: int) -> PaymentDetail:
        return payment_detail(self.business.id, payment_id)

    def owner_email(self) -> str | None:
        """The login whose password a refund asks for again (None: there is none)."""
        owner = self._services.accounts.owner_login(self.business.id)
        return visible(owner.email) if owner is not None else None

    def refund(
        self, payment_id: int, amount: int, code: str, comment: str, password: str
    ) -> PaymentDetail:
        """Refund `amount` of the payment once the owner's password is right again; the
        payment as it is afterwards. The password is checked, never logged nor audited."""
        who = self.who
        detail = payment_detail(self.business.id, payment_id)  # the business's own payment
        reason = refund_reason(code, comment)
        accounts = self._services.accounts
        if not accounts.confirm_owner(self.business.id, password, who.actor, who.address):
            raise WrongPassword("That is not the owner's password: nothing was refunded.")
        self._services.payments.refund(detail.id, amount, who.actor, reason, who.address)
        return payment_detail(self.business.id, payment_id)
