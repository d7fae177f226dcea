"""The Stripe SDK, imported on first use rather than when paydesk starts.

`import stripe` costs about 0.3 s (the SDK imports aiohttp for an async client paydesk never
uses), and most commands (`client add`, `invoice list`, an export) never call Stripe. Modules
that use it write

    if TYPE_CHECKING:
        import stripe
    else:
        from services.stripe_client import sdk as stripe

and then `stripe.StripeClient(...)` or `except stripe.CardError:` as usual: the first name
read here imports the SDK. (Python's own LazyLoader does not help: every later `import stripe`
statement reads the module's `__spec__`, which loads it.)
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("stripe"), name)
