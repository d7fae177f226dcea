"""Dependencies point down: tui/web → screens → services → models (DESIGN.md §2)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_services_never_load_textual():
    modules = _loaded_after_import("services.container")
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}
    assert "screens" not in modules


def test_models_know_nothing_of_services_or_stripe():
    modules = _loaded_after_import("models")
    assert not {m for m in modules if m.split(".")[0] in {"services", "stripe", "textual"}}


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
