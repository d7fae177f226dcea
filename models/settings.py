"""Settings the owner changed in the console: one row a key, its value as JSON."""

from __future__ import annotations

import peewee as pw

from models.db import BaseModel, utcnow


class StoredSetting(BaseModel):
    """A value that overrides a default of paydesk.toml or the environment (or of the code);
    no row: the default holds."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()  # JSON
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "stored_setting"
