"""What the `paydesk` command prints: never a terminal control sequence from stored text."""

from __future__ import annotations

import io
from typing import TextIO

from services.text import visible


class VisibleOutput(io.TextIOBase):
    """A text stream that writes to `stream` with control characters shown as symbols
    (newlines kept), so a client name or invoice line holding ESC … cannot retitle the
    owner's terminal or write their clipboard. JSON output is unchanged: it escapes them."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(visible(text, lines=True))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding
