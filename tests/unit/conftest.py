"""Payment fixtures (a real localstripe per worker): see tests/payment_fixtures.py."""

from payment_fixtures import (  # noqa: F401
    pay_config,
    pay_services,
    sandbox_session_url,
    sandbox_url,
    shop,
    stripe_api,
)
