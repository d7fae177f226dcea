"""SSH end-to-end fixtures (defined in ssh_helpers.py, a name no other test folder uses)."""

from payment_fixtures import sandbox_session_url, sandbox_url, stripe_api  # noqa: F401
from ssh_helpers import start_server, tmux  # noqa: F401
