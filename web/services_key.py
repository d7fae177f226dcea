"""The key under which the app holds the services container."""

from __future__ import annotations

from aiohttp import web

from services.container import Services

SERVICES = web.AppKey("services", Services)
