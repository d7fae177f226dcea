"""Tests of services.doors: the kiosk's lobby and its desks scoped to one client or one code."""
