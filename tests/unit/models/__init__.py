"""Tests of models: the database, its schema and migrations, the WAL checkpointer."""
