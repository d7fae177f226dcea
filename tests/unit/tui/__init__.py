"""Tests of tui: the paydesk command line as a person or a script types it."""
