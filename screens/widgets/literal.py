"""Person-entered text shown exactly as typed: never parsed as Textual or Rich markup."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content


def lit(value: object, style: str = "") -> Text:
    """A Rich Text holding `value` literally (a `[@click=app.quit]` stays visible and inert)."""
    return Text("" if value is None else str(value), style=style)


def content(value: object) -> Content:
    """The same for Textual's own Content (button labels, option prompts)."""
    return Content("" if value is None else str(value))


def join(*parts: tuple[object, str] | str | Text) -> Text:
    """Assemble literal pieces with styles: join(("Total", "bold"), " ", (amount, "")).

    Strings and Text pieces are appended as they are; (value, style) pairs literally.
    """
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append("" if part[0] is None else str(part[0]), style=part[1])
        else:
            out.append(part)
    return out
