"""The CSV file's rules, on tables written here: RFC 4180 quoting read back by the csv
module, formula injection neutralised in text and never in amounts, exact major units, the
comment line, progress, a cancel and the whole-file-or-nothing rename."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from services.exports import csv_file
from services.exports.csv_file import (
    ExportCancelled,
    ExportTable,
    comment_line,
    major,
    neutral,
    write_file,
    write_table,
)

MADE = datetime(2026, 3, 16, 15, 0)  # UTC: 11:00 in New York


def table(rows, about=("received 2026-01-01 through 2026-03-31 (both days included)",)):
    return ExportTable("payments", ("text", "amount"), len(rows), iter(rows), about,
                       "America/New_York")  # fmt: skip


def written(rows) -> str:
    out = io.StringIO(newline="")
    write_table(out, table(rows), MADE)
    return out.getvalue()


def read_back(text: str) -> list[list[str]]:
    lines = text.split("\r\n", 1)
    assert lines[0].startswith("# ")
    return list(csv.reader(io.StringIO(lines[1], newline="")))


@pytest.mark.parametrize(
    "text",
    ["Comma, Inc", 'Say "hi" Ltd', "Two\nlines", "Two\r\nlines", 'all, "of\nthem"', "", " lead"],
)
def test_commas_quotes_and_line_breaks_read_back_as_written(text):
    rows = read_back(written([(text, Decimal("1.00"))]))
    assert rows == [["text", "amount"], [text, "1.00"]]


def test_quoting_is_rfc_4180():
    raw = written([('Say "hi", Ltd', Decimal("1.00")), ("plain", Decimal("2.00"))])
    assert raw.split("\r\n")[1:4] == ["text,amount", '"Say ""hi"", Ltd",1.00', "plain,2.00"]
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x","pay")', '\'=HYPERLINK("http://x","pay")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("'quoted", "'quoted"),
    ],
)
def test_formula_starts_are_neutralised_in_text(text, cell):
    assert neutral(text) == cell
    assert read_back(written([(text, Decimal("0.00"))]))[1][0] == cell


def test_amounts_stay_numbers_even_negative():
    rows = read_back(written([("-5", major(-5, "USD")), ("x", major(-123_456, "USD"))]))
    assert rows[1:] == [["'-5", "-0.05"], ["x", "-1234.56"]]


@pytest.mark.parametrize(
    ("amount", "currency", "number"),
    [
        (12345, "USD", "123.45"),
        (100, "USD", "1.00"),
        (0, "USD", "0.00"),
        (7, "USD", "0.07"),
        (500, "JPY", "500"),
        (1234, "BHD", "1.234"),
        (98_765_432_109_876_543, "USD", "987654321098765.43"),  # past a float's 15 digits
    ],
)
def test_major_units_are_exact(amount, currency, number):
    assert str(major(amount, currency)) == number
    assert Decimal(number).scaleb(2 if currency == "USD" else 0 if currency == "JPY" else 3) == (
        amount
    )


def test_the_comment_says_the_range_the_zone_and_when():
    line = comment_line(table([], about=('search: a, "b"\nc',)), MADE)
    assert line == (
        "# paydesk export of payments; search: a   b  c; days and times in America/New_York; "
        "made 2026-03-16T11:00:00-04:00"
    )
    line = comment_line(table([]), MADE)
    assert "2026-01-01 through 2026-03-31 (both days included)" in line


def test_progress_comes_every_thousand_rows_and_at_the_end(monkeypatch):
    monkeypatch.setattr(csv_file, "PROGRESS_EVERY", 1000)
    seen: list[tuple[int, int]] = []
    out = io.StringIO(newline="")
    rows = [("r", Decimal(n)) for n in range(2500)]
    assert write_table(out, table(rows), MADE, progress=lambda d, t: seen.append((d, t))) == 2500
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_a_cancelled_file_leaves_nothing_and_a_whole_one_is_renamed(tmp_path):
    path = tmp_path / "payments.csv"
    rows = [("r", Decimal(n)) for n in range(3000)]
    with pytest.raises(ExportCancelled, match="after 1,000 of 3,000 payments"):
        write_file(path, table(rows), MADE, stopped=lambda: True)
    assert list(tmp_path.iterdir()) == []
    assert write_file(path, table(rows), MADE) == 3000
    assert [p.name for p in tmp_path.iterdir()] == ["payments.csv"]
    with path.open(newline="") as f:
        assert len(read_back(f.read())) == 3001
