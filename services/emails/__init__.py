"""Every email paydesk sends: its subject, text and HTML, in one place."""
