"""`paydesk serve-ssh`: the kiosk over SSH, one forked process per session on its own PTY."""
