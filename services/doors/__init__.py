"""Doors: what each way in (the kiosk now; the admin console and the web side next) may ask."""
