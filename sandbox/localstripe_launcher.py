# paydesk sandbox launcher — runs localstripe for one paydesk data dir.
#
# Copyright (C) the paydesk authors
#
# This program is free software: you can redistribute it and/or modify it under the terms of
# the GNU General Public License as published by the Free Software Foundation, either version 3
# of the License, or (at your option) any later version. It imports localstripe, which is
# GPL-3.0-or-later, and is therefore licensed the same way (SPDX: GPL-3.0-or-later).
#
# This program is distributed in the hope that it will be useful, but WITHOUT ANY WARRANTY;
# without even the implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
# See the GNU General Public License for more details: <https://www.gnu.org/licenses/>.
"""Run localstripe 1.15.10 for one data dir, with three changes made at start-up:

* its state lives in `--state-dir` (not the machine-wide /tmp/localstripe.pickle), is loaded
  back at start, and is written at most once per `--save-interval` seconds and at shutdown,
  instead of re-pickling the whole store after every write;
* it listens on 127.0.0.1 only (localstripe binds `::`), on `--port` (0 = a free port, which
  is written to `--port-file` once the socket listens);
* it stops by itself when its state dir is deleted (an orphan nobody can find again);
* `POST /v1/payment_intents/{id}/confirm` accepts Stripe's documented `off_session` parameter
  (localstripe answers 400 "Unexpected off_session").

`GET /_config/paydesk` answers {"pid", "state_dir", "port", "writes"} so paydesk can check that the
process on a port is the sandbox of its own data dir.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import signal
import socket
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

STATE_FILE = "localstripe.pickle"


class StateKeeper:
    """Writes the store to the state dir when it changed, at most once per interval."""

    def __init__(self, state_dir: Path, interval: float) -> None:
        self.path = state_dir / STATE_FILE
        self.interval = interval
        self.dirty = False
        self.writes = 0

    def mark_dirty(self, _store=None) -> None:
        self.dirty = True

    def load(self, store) -> None:
        try:
            with self.path.open("rb") as f:
                old = pickle.load(f)
        except FileNotFoundError:
            return
        dict.clear(store)
        dict.update(store, old)

    def orphaned(self) -> bool:
        """The data dir was deleted under us: nobody can find this sandbox any more."""
        return not self.path.parent.is_dir()

    def save(self) -> None:
        if not self.dirty or self.orphaned():
            return
        self.dirty = False
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(resources.store, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            self.writes += 1
        except BaseException:
            self.dirty = True
            Path(tmp).unlink(missing_ok=True)
            raise

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.orphaned():
                print("state dir deleted: stopping", flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            self.save()


def patch_store(keeper: StateKeeper) -> None:
    """Every write only marks the store dirty; loading reads the state dir."""
    resources.Store.dump_to_disk = lambda self: keeper.mark_dirty()
    resources.Store.try_load_from_disk = lambda self: keeper.load(self)


def patch_confirm() -> None:
    """Accept `off_session` on confirm, as Stripe documents it (the sandbox ignores it)."""
    original = resources.PaymentIntent._api_confirm.__func__

    def _api_confirm(cls, id, payment_method=None, off_session=None, **kwargs):
        return original(cls, id, payment_method=payment_method, **kwargs)

    resources.PaymentIntent._api_confirm = classmethod(_api_confirm)
    # The route table captured the old bound method at import: point it at the new one.
    for resource in server.app.router.resources():
        info = resource.get_info()
        if info.get("formatter") == "/v1/payment_intents/{id}/confirm":
            for route in resource:
                route._handler = server.api_extra(
                    resources.PaymentIntent._api_confirm, info["formatter"]
                )


def listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="localstripe for one paydesk data dir")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path)
    parser.add_argument("--save-interval", type=float, default=1.0)
    parser.add_argument("--from-scratch", action="store_true", help="ignore saved state")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    state_dir: Path = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    keeper = StateKeeper(state_dir, args.save_interval)
    patch_store(keeper)
    patch_confirm()
    if not args.from_scratch:
        resources.store.try_load_from_disk()

    sock = listen("127.0.0.1", args.port)
    port = sock.getsockname()[1]

    async def identify(request: web.Request) -> web.Response:
        body = {
            "pid": os.getpid(),
            "state_dir": str(state_dir),
            "port": port,
            "writes": keeper.writes,
        }
        return web.json_response(body)

    async def start_saver(app: web.Application) -> None:
        app["saver"] = asyncio.get_running_loop().create_task(keeper.run())

    async def final_save(app: web.Application) -> None:
        app["saver"].cancel()
        keeper.save()

    app = server.app
    app.router.add_get("/_config/paydesk", identify)
    app.on_startup.append(start_saver)
    app.on_cleanup.append(final_save)

    if args.port_file:
        write_atomic(args.port_file, f"{port}\n")
    print(f"localstripe sandbox listening on http://127.0.0.1:{port} (state in {state_dir})")
    sys.stdout.flush()

    access_log = None
    if args.access_log:
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler())
    try:
        web.run_app(app, sock=sock, access_log=access_log, print=None, shutdown_timeout=2.0)
    finally:
        keeper.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
