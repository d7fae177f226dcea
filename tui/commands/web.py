"""`paydesk serve-web`: the hosted pages and Stripe's webhooks over HTTP."""

from __future__ import annotations

import argparse

from services.config import Config
from tui.commands import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve-web",
        help="serve the web side (webhooks, health check) over HTTP",
        description="The HTTP side of paydesk: Stripe webhooks at /webhooks/stripe and "
        "/healthz. Put a TLS reverse proxy in front of it (see README).",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.set_defaults(handler=cmd_serve_web)


def cmd_serve_web(args: argparse.Namespace, config: Config) -> int:
    if not 0 < args.port < 65536:
        raise CommandError(f"--port {args.port}: give a port between 1 and 65535")
    from web.run import serve

    try:
        return serve(config, args.host, args.port)
    except OSError as exc:
        raise CommandError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from exc
