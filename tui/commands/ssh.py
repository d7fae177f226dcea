"""`paydesk serve-ssh` and `paydesk admin-key add|list|remove`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from services.config import SSH_PORT, Config
from tui.commands import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve-ssh", help="serve the client kiosk over SSH")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default: the ssh_port setting, {SSH_PORT} unless set), "
        "the port emails tell clients to use",
    )
    serve.add_argument(
        "--print-fingerprint",
        action="store_true",
        help="print the host key's fingerprint (created if missing) and exit",
    )
    serve.set_defaults(handler=cmd_serve_ssh)

    keys = sub.add_parser("admin-key", help="public keys allowed to use `ssh admin@…`")
    keys_sub = keys.add_subparsers(dest="admin_key_command", metavar="ACTION", required=True)
    add = keys_sub.add_parser("add", help="register a public key (a .pub file, or - for stdin)")
    add.add_argument("key", help="path to an OpenSSH public key file, or - to read stdin")
    add.add_argument("--comment", help="a label for the key (default: the key's own comment)")
    add.set_defaults(handler=cmd_admin_key_add)
    listing = keys_sub.add_parser("list", help="show the registered keys")
    listing.set_defaults(handler=cmd_admin_key_list)
    remove = keys_sub.add_parser("remove", help="unregister a key by fingerprint or comment")
    remove.add_argument("which", help="SHA256:… fingerprint (from `list`) or the key's comment")
    remove.set_defaults(handler=cmd_admin_key_remove)


def cmd_serve_ssh(args: argparse.Namespace, config: Config) -> int:
    from tui.ssh.host_key import fingerprint, known_hosts_line, load_or_create_host_key

    host = args.host
    port = config.ssh_port if args.port is None else args.port
    if not 0 < port < 65536:
        raise CommandError(f"--port {port}: give a port between 1 and 65535")
    key = load_or_create_host_key(config.home)
    if args.print_fingerprint:
        print(f"{fingerprint(key)} (ED25519)")
        # The line clients can add to known_hosts, under the name emails tell them to use.
        print(known_hosts_line(key, config.ssh_host, port))
        return 0
    from tui.ssh.server import serve

    if port != config.ssh_port:  # fine behind a port forward; otherwise emails lead nowhere
        print(
            f"paydesk: note: emails tell clients to use port {config.ssh_port} (ssh_port); "
            f"this server listens on {port}",
            file=sys.stderr,
        )
    try:
        return serve(config, host, port, config.ssh)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def cmd_admin_key_add(args: argparse.Namespace, config: Config) -> int:
    from tui.ssh.admin_keys import AdminKeyError, add_key

    if args.key == "-":
        text = sys.stdin.read()
    else:
        path = Path(args.key).expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        if "PRIVATE KEY" in text:
            raise CommandError(f"{path} is a private key; give the .pub file")
    try:
        entry = add_key(config.home, text, args.comment)
    except AdminKeyError as exc:
        raise CommandError(str(exc)) from exc
    _audited(config, "admin_key.added", entry)
    print(f"paydesk: added admin key {entry.fingerprint} {entry.comment}".rstrip())
    return 0


def cmd_admin_key_list(args: argparse.Namespace, config: Config) -> int:
    from tui.ssh.admin_keys import list_keys

    keys = list_keys(config.home)
    if not keys:
        print("paydesk: no admin keys; add one with `paydesk admin-key add ~/.ssh/id_ed25519.pub`")
        return 0
    for entry in keys:
        print(f"{entry.fingerprint}  {entry.algorithm}  {entry.comment}".rstrip())
    return 0


def cmd_admin_key_remove(args: argparse.Namespace, config: Config) -> int:
    from tui.ssh.admin_keys import AdminKeyError, remove_key

    try:
        entry = remove_key(config.home, args.which)
    except AdminKeyError as exc:
        raise CommandError(str(exc)) from exc
    _audited(config, "admin_key.removed", entry)
    print(f"paydesk: removed admin key {entry.fingerprint} {entry.comment}".rstrip())
    return 0


def _audited(config: Config, action: str, entry) -> None:
    """Who may open the console changed: in the audit trail, as every access change is."""
    from services.audit import audit
    from services.container import build_services

    build_services(config)
    detail = {"algorithm": entry.algorithm, "comment": entry.comment}
    audit(f"cli:{getpass.getuser()}", action, entry.fingerprint, detail)
