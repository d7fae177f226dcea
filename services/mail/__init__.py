"""Mail transport: the Mailer, batches, Maildir delivery with claim files, MIME, SMTP."""
