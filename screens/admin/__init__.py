"""The owner's console: Overview, Clients and a client's detail; more sections slot in the
section bar (screens/admin/sections.py) as they are built."""
