"""`paydesk client …`: add and list clients, through the client service (audited)."""

from __future__ import annotations

import argparse
import sys

from services.clients.clients import ClientError
from services.config import Config
from services.container import build_services
from services.emails.billing import Door
from tui.commands import CommandError
from tui.commands.common import _business


def register(sub: argparse._SubParsersAction) -> None:
    client = sub.add_parser("client", help="add or list clients").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    add = client.add_parser("add", help="add a client (and its login)")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True, help="billing email, also the login")
    add.add_argument("--password-stdin", action="store_true", help="create a login; read stdin")
    add.set_defaults(handler=cmd_client_add)
    client.add_parser("list", help="list clients").set_defaults(handler=cmd_client_list)
    invite = client.add_parser(
        "invite",
        help="email a client with no login a code to set a password",
        description="Emails the client how to reach the kiosk and a one-time code (valid 7 "
        "days) to set a password on the Recover password screen. A client whose login has a "
        "password is refused: it recovers its password there. Sending again replaces the code.",
    )
    invite.add_argument("email", help="the client's email")
    invite.set_defaults(handler=cmd_client_invite)


def cmd_client_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    business = _business()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        client = services.clients.create(
            business.id, args.name, args.email, password=password, actor="cli"
        )
    except ClientError as exc:
        raise CommandError(exc.message) from None
    login = " with login" if password else ""
    print(f"client {client.id}: {client.name} <{client.email}>{login}")
    return 0


def cmd_client_invite(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    login = Door.stored(config).login_command()
    try:
        client = services.clients.invite(args.email, login, actor="cli")
    except ClientError as exc:
        raise CommandError(exc.message) from None
    print(f"client {client.id}: {client.name} <{client.email}> invited (a set-password code)")
    return 0


def cmd_client_list(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    for client in services.clients.list():
        print(f"{client.id:>5}  {client.name}  <{client.email}>")
    return 0
