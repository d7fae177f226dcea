"""Tests of services.clients: clients and contacts, created and edited through one service."""
