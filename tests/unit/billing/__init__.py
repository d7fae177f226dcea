"""Tests of services.billing: recurring, auto-billing, the schedule, the run and its phases."""
