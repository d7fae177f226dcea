"""Clients: create, list and edit clients and their contacts, each change audited."""
