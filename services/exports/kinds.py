"""Every kind of export, in one list: the CLI's choices (`paydesk export KIND`) and the
console's exports come from it. A new kind is a module with an `ExportKind` and one entry here.
"""

from __future__ import annotations

from services.exports.aging import AGING
from services.exports.clients import CLIENTS
from services.exports.invoices import INVOICES
from services.exports.kind import ExportKind
from services.exports.payments import PAYMENTS

KINDS: dict[str, ExportKind] = {kind.name: kind for kind in (INVOICES, PAYMENTS, CLIENTS, AGING)}
