"""Accounts: logins, password recovery, passwords, [View Invoice] access codes, throttling."""
