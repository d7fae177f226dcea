"""Hand-written SQL lives in `*_sql.py` modules: nothing else calls `models.run_sql`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("models", "services", "screens", "tui", "web")
DEFINITION = Path("models/db.py")


def run_sql_calls(source: str) -> list[int]:
    """Lines that call `run_sql`: by its name, by an alias it was imported as, or as an
    attribute (`models.run_sql(...)`)."""
    tree = ast.parse(source)
    names = {"run_sql"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {
                alias.asname for alias in node.names if alias.name == "run_sql" and alias.asname
            }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in names) or (
            isinstance(func, ast.Attribute) and func.attr == "run_sql"
        ):
            lines.append(node.lineno)
    return sorted(lines)


def allowed(path: Path) -> bool:
    return path.name.endswith("_sql.py") or path == DEFINITION


def offenders() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if allowed(relative):
                continue
            for line in run_sql_calls(path.read_text(encoding="utf-8")):
                found.append(f"{relative}:{line}")
    return found


def test_the_scanner_finds_every_way_of_calling_run_sql():
    source = (
        "from models import run_sql\n"
        "from models.db import run_sql as raw\n"
        "import models\n"
        "run_sql('SELECT 1')\n"
        "raw('SELECT 2')\n"
        "models.run_sql('SELECT 3')\n"
        "def f():\n"
        "    return run_sql('SELECT 4').fetchone()\n"
        "text = 'run_sql(not a call)'\n"
        "db.execute_sql('SELECT 5')\n"
    )
    assert run_sql_calls(source) == [4, 5, 6, 8]
    assert allowed(Path("services/payments/ledger_sql.py"))
    assert allowed(DEFINITION)
    assert not allowed(Path("services/payments/ledger.py"))
    assert not allowed(Path("models/sql.py"))


def test_the_scan_reads_the_real_tree():
    assert (ROOT / DEFINITION).is_file()
    assert run_sql_calls((ROOT / "services/payments/ledger_sql.py").read_text()) != []


def test_run_sql_is_called_only_in_sql_modules():
    found = offenders()
    assert not found, (
        "run_sql called outside a *_sql.py module (move the statement into one beside it):\n"
        + "\n".join(found)
    )
