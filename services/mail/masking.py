"""An email's text as the owner's outbox keeps it: the codes and link tokens in it hidden.

Invoice access codes and recovery codes are hashed at rest (they open an invoice or reset a
password); the text kept for the outbox must not hold them in clear either. Both are groups
of four Crockford base32 symbols joined by hyphens (`7k2m-…`, three groups or more); a card
page link ends in its token (`/card/<token>`). Each is replaced by CODE_HIDDEN.
"""

from __future__ import annotations

import re

CODE_HIDDEN = "[code hidden]"
_SYMBOL = "[0-9a-hjkmnp-tv-z]"
_CODE = re.compile(rf"(?<![0-9A-Za-z]){_SYMBOL}{{4}}(?:-{_SYMBOL}{{4}}){{2,}}(?![0-9A-Za-z])")
_TOKEN = re.compile(r"(/card/)[A-Za-z0-9_-]{16,}")


def masked(text: str) -> tuple[str, bool]:
    """The text with every code and link token hidden, and whether anything was."""
    out, codes = _CODE.subn(CODE_HIDDEN, text)
    out, tokens = _TOKEN.subn(rf"\g<1>{CODE_HIDDEN}", out)
    return out, bool(codes or tokens)
