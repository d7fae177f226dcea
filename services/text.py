"""Stored text never drives a terminal: control characters are refused at input and shown
as visible symbols wherever stored text is drawn or printed.

A C0 or C1 control character (ESC, BEL, CSI, OSC …) in an invoice line, a note or a name
could retitle a client's window or write their clipboard (OSC 52) when the text reaches a
terminal. `refuse_controls` keeps them out of what people type; `visible` defangs whatever
is stored anyway (older rows, imports, other writers): the kiosk's and the console's views and
widgets, the CLI's output, emails, the PDF and the web pages all pass text through it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

# C0 (with DEL) and C1: every character a terminal may act on instead of drawing.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_NAMES = {0x07: "BEL", 0x08: "backspace", 0x09: "tab", 0x0A: "newline", 0x0D: "carriage return",
          0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI", 0x9D: "OSC"}  # fmt: skip


def _symbol(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\t":
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␛ for ESC, ␇ for BEL
    return "\u2421" if code == 0x7F else "\ufffd"  # ␡ for DEL; C1 has no pictures


def visible(text: object, lines: bool = False) -> str:
    """`text` with every control character shown as a symbol (ESC as ␛, a tab as a space);
    newlines stay when `lines` (a note, an address), CR LF becoming LF."""
    value = "" if text is None else str(text)
    if lines:
        value = value.replace("\r\n", "\n")
        return _CONTROL_BUT_NEWLINE.sub(_symbol, value)
    return _CONTROL.sub(_symbol, value)


def control_problem(what: str, text: str | None, lines: bool = False) -> str:
    """Why `text` may not be stored ("" when it may): the first control character it holds."""
    if not text:
        return ""
    pattern = _CONTROL_BUT_NEWLINE if lines else _CONTROL
    found = pattern.search(text.replace("\r\n", "\n") if lines else text)
    if found is None:
        return ""
    code = ord(found.group())
    name = _NAMES.get(code, f"U+{code:04X}")
    return f"{what}: holds a control character ({name}); type plain text"


def refuse_controls(
    error: type[Exception], fields: Mapping[str, str | None], multiline: Collection[str] = ()
) -> None:
    """Raise `error` with a one-line reason naming the first field holding a control
    character; the fields named in `multiline` may hold newlines."""
    for what, text in fields.items():
        problem = control_problem(what, text, what in multiline)
        if problem:
            raise error(problem)
