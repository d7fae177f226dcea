"""paydesk tests: unit, ui, reliability and e2e; fixtures as plugins in tests/fixtures."""
