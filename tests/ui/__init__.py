"""Kiosk screens driven by Textual's pilot, with snapshots."""
