"""Stored text never drives a terminal: every C0/C1 control character is made visible, and
refused at input with a one-line reason."""

import pytest

from services.errors import PaydeskError
from services.text import control_problem, refuse_controls, visible

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # writes the reader's clipboard
TITLE = "\x1b]0;pwned\x07"  # retitles their window


def test_every_control_character_is_made_visible():
    for char in CONTROLS:
        for lines in (False, True):
            shown = visible(f"a{char}b", lines=lines)
            if lines and char == "\n":
                assert shown == "a\nb"
            else:
                assert not any(c in CONTROLS for c in shown), repr(char)
                assert shown.startswith("a") and shown.endswith("b") and len(shown) == 3


def test_escape_sequences_are_shown_not_run():
    assert visible(f"Support {OSC52}{TITLE}") == "Support ␛]52;c;cHduZWQ=␇␛]0;pwned␇"
    assert visible("a\x9b2Jb") == "a\ufffd2Jb"  # C1 CSI
    assert visible("tab\there") == "tab here"
    assert visible("one\r\ntwo\rthree", lines=True) == "one\ntwo␍three"
    assert visible("one\ntwo") == "one␊two"  # a one-line field keeps to one line
    assert visible(None) == "" and visible("plain text €") == "plain text €"


def test_refused_at_input_with_a_one_line_reason():
    assert control_problem("notes", f"see {TITLE}") == (
        "notes: holds a control character (ESC); type plain text"
    )
    assert control_problem("notes", "two\nlines\r\n", lines=True) == ""
    assert "newline" in control_problem("name", "two\nlines")
    assert "BEL" in control_problem("line 1", "ding\x07")
    assert "U+0085" in control_problem("line 1", "next\x85line")

    class FormError(PaydeskError):
        pass

    refuse_controls(FormError, {"name": "Acme", "notes": "a\nb", "email": None}, ("notes",))
    with pytest.raises(FormError, match=r"^line 2: holds a control character \(OSC\)"):
        refuse_controls(FormError, {"line 1": "fine", "line 2": "bad\x9d52;c;x\x9c"})
