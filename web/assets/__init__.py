"""The web side's own small static files (the card page's script and style sheet)."""
