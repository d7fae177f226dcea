"""`paydesk admin-key add|remove`: who may open the console over SSH changed, so the audit
trail says so (an access change, as the console's Audit log filters them)."""

from __future__ import annotations

import getpass
import json
import subprocess
from pathlib import Path

from models import AuditLog, db


def test_adding_and_removing_an_admin_key_is_audited(
    paydesk_smtp, paydesk_services, tmp_path: Path
):
    key = tmp_path / "id_owner"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "owner laptop", "-f", str(key)],
        check=True, timeout=20,
    )  # fmt: skip
    added = paydesk_smtp("admin-key", "add", f"{key}.pub")
    assert added.returncode == 0, added.stderr
    fingerprint = paydesk_smtp("admin-key", "list").stdout.split()[0]
    removed = paydesk_smtp("admin-key", "remove", fingerprint)
    assert removed.returncode == 0, removed.stderr

    db.close()
    rows = AuditLog.select().where(AuditLog.action.startswith("admin_key.")).order_by(AuditLog.id)
    who = f"cli:{getpass.getuser()}"
    detail = {"algorithm": "ssh-ed25519", "comment": "owner laptop"}
    assert [(r.actor, r.action, r.subject, json.loads(r.detail)) for r in rows] == [
        (who, "admin_key.added", fingerprint, detail),
        (who, "admin_key.removed", fingerprint, detail),
    ]
