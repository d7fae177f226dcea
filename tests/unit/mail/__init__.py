"""Tests of services.mail: the mailer, batches, Maildir, claims, MIME, SMTP."""
