"""What every paydesk email is: a subject, a text part, an HTML part and attachments."""

from __future__ import annotations

import html
from dataclasses import dataclass

from services.mail.mime import Attachment
from services.text import visible

__all__ = ["Attachment", "Email", "escape"]


@dataclass(frozen=True)
class Email:
    """One email ready for the mailer: subject, text, HTML ("" = none) and attachments."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        # Whatever stored text went into it, no part can drive the reader's terminal.
        object.__setattr__(self, "subject", visible(self.subject))
        object.__setattr__(self, "text", visible(self.text, lines=True))
        object.__setattr__(self, "html", visible(self.html, lines=True))


def escape(text: object) -> str:
    """`text` made safe inside HTML, quotes included."""
    return html.escape(str(text), quote=True)
