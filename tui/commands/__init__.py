"""`paydesk` sub-commands, one module per area; each has `register(subparsers)`.

A handler is `handler(args, config) -> int`; it raises CommandError for a failure
the person can act on (printed as one line, exit 1).
"""

from services.errors import PaydeskError


class CommandError(PaydeskError):
    """A failure to report as one line to the person at the terminal."""
