"""Races, crashes and kills of real processes."""
