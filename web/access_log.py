"""One line per request: address, method, route, status, size, time. Never a body, a query
string, or a token or code from the path.

A matched route is logged by its pattern (`/card/{token}`), so a token in the path is never
written; an unmatched path is logged with each long segment replaced by `…`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from services.server_log import log_to_file_and_stderr

LOGGER_NAME = "paydesk.web"
_LONG_SEGMENT = re.compile(r"[^/]{17,}")


def route_of(request: web.BaseRequest) -> str:
    """The path as it may be logged: the route's pattern, or the path with long parts hidden."""
    match_info = getattr(request, "match_info", None)
    route = getattr(match_info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is not None:
        return str(resource.canonical)
    return _LONG_SEGMENT.sub("…", request.path)[:200]


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access logger, told what not to write."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %s %.1fms",
            request.remote or "-",
            request.method,
            route_of(request),
            response.status,
            response.body_length,
            time * 1000,
        )


def setup_logging(home: Path, level: int = logging.INFO) -> Path:
    """The server log: the data dir's logs/web.log and stderr."""
    folder = Path(home) / "logs"
    folder.mkdir(exist_ok=True)
    path = folder / "web.log"
    log_to_file_and_stderr(LOGGER_NAME, path, level)
    return path
