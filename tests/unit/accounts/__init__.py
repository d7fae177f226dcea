"""Tests of services.accounts: logins, recovery, passwords, access codes, throttling."""
