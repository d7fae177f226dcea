"""Tests of services.emails: every email's text and HTML."""
