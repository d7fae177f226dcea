"""The apps and their doors: the kiosk, the `paydesk` CLI, the SSH server."""
