"""Person-entered text shown as typed: never parsed as Textual or Rich markup, and never a
terminal control sequence (control characters are drawn as symbols, services.text)."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from services.text import visible


def lit(value: object, style: str = "") -> Text:
    """A Rich Text holding `value` literally (a `[@click=app.quit]` stays visible and inert)."""
    return Text(visible(value, lines=True), style=style)


def content(value: object) -> Content:
    """The same for Textual's own Content (button labels, option prompts)."""
    return Content(visible(value, lines=True))


def join(*parts: tuple[object, str] | str | Text) -> Text:
    """Assemble literal pieces with styles: join(("Total", "bold"), " ", (amount, "")).

    Strings and Text pieces are appended as they are; (value, style) pairs literally.
    """
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(visible(part[0], lines=True), style=part[1])
        elif isinstance(part, str):
            out.append(visible(part, lines=True))
        else:
            out.append(part)
    return out
