"""The web side under load, against a bare aiohttp handler in the same run.

- Pages: the hosted card page `/card/TOKEN` and the invoice page `/i/CODE`, each fetched by
  50 concurrent clients, against a bare aiohttp handler serving a static page of the same
  size (p50 / p99 latency; goal: ≤ 2× the bare one at p99).
- Webhooks: N distinct signed `payment_intent.succeeded` events, each delivered twice at
  once, posted by 50 concurrent clients to `/webhooks/stripe` (SQLite), against the bare
  handler doing only the signature check (events/s; goal ≥ 200, each recorded once).

Both servers run in this process on one event loop thread each; the clients on another.

    .venv/bin/python bench/web.py [--requests 1000] [--clients 50] [--events 1000] [--rounds 5]

The page kinds alternate in `--rounds` rounds (the order rotated), latencies pooled per kind.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import stripe  # noqa: E402
from aiohttp import web  # noqa: E402

from models import Business, Client, WebhookEvent  # noqa: E402
from services.config import Config  # noqa: E402
from services.container import build_services  # noqa: E402
from services.invoices.views import LineInput  # noqa: E402
from services.stripe_client.sandbox import stop_sandbox  # noqa: E402
from services.webhooks.signature import webhook_secrets  # noqa: E402
from web.run import freeze_startup_objects, start  # noqa: E402


def bare_app(page: bytes, secret: str) -> web.Application:
    async def static(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html")

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get("Stripe-Signature", "")
        stripe.WebhookSignature.verify_header(body.decode(), header, secret, 300)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/static", static)
    app.router.add_post("/hook", hook)
    return app


def serve_in_thread(coro_factory):
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return loop, asyncio.run_coroutine_threadsafe(coro_factory(), loop).result(60)


async def start_bare(app: web.Application) -> int:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return int(runner.addresses[0][1])


async def load(url: str, total: int, clients: int, method: str = "GET", bodies=None):
    """`total` requests by `clients` concurrent clients; each request's latency (s).

    For GETs each client first opens its connection with one untimed request, so the
    figures are steady-state latencies (kept-alive connections), not 50 TCP connects."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        if bodies is None:  # open this client's connection first, untimed (keep-alive)
            async with session.request(method, url) as resp:
                await resp.read()
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            kwargs = {}
            if bodies is not None:
                kwargs = {"data": bodies[i][0], "headers": bodies[i][1]}
            began = time.perf_counter()
            async with session.request(method, url, **kwargs) as resp:
                await resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
            times.append(time.perf_counter() - began)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return times, statuses, elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def signed(events: int, secret: str) -> list[tuple[bytes, dict]]:
    out = []
    now = int(time.time())
    for i in range(events):
        body = json.dumps(
            {
                "id": f"evt_bench_{i:08d}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": now,
                "data": {"object": {"id": f"pi_bench_{i:08d}", "object": "payment_intent"}},
            }
        ).encode()
        mac = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Stripe-Signature": f"t={now},v1={mac}"}
        out += [(body, headers), (body, headers)]  # each delivered twice
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="page kinds alternate")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="paydesk-bench-web-"))
    config = Config(home=home, database_url=f"sqlite:///{home / 'bench.db'}")
    services = build_services(config)
    try:
        business = Business.create(name="Desktop Masters", billing_email="billing@example.com")
        client = Client.create(business=business, name="Acme Dental", email="a@example.com")
        invoice = services.invoices.create(
            client.id, [LineInput("Support", 12_500, 1000)], date.today()
        )
        code = services.codes.create(invoice.id)
        token = services.card_links.create(client.id).url.rsplit("/card/", 1)[1]
        secret = webhook_secrets(config)[0]
        _, running = serve_in_thread(lambda: start(services, "127.0.0.1", 0))
        base = f"http://127.0.0.1:{running.port}"
        import urllib.request

        page = urllib.request.urlopen(f"{base}/i/{code}").read()
        _, bare_port = serve_in_thread(lambda: start_bare(bare_app(page, secret)))
        bare = f"http://127.0.0.1:{bare_port}"
        freeze_startup_objects()  # as `paydesk serve-web` does once it listens
        print(f"{args.clients} clients, {args.requests} requests each kind, SQLite")
        kinds = (
            ("bare static", f"{bare}/static"),
            ("card page", f"{base}/card/{token}"),
            ("invoice page", f"{base}/i/{code}"),
        )
        for _, url in kinds:
            asyncio.run(load(url, 50, 10))  # warm up (the card page learns its secret)
        # Rounds, the order rotated each round, latencies pooled per kind: a burst from
        # the machine's other work lands on every kind alike instead of on one of them.
        times: dict[str, list[float]] = {name: [] for name, _ in kinds}
        statuses: dict[str, dict[int, int]] = {name: {} for name, _ in kinds}
        per_round = max(1, args.requests // args.rounds)
        round_p99: dict[str, list[float]] = {name: [] for name, _ in kinds}
        for r in range(args.rounds):
            for name, url in kinds[r % 3 :] + kinds[: r % 3]:
                got, seen, _ = asyncio.run(load(url, per_round, args.clients))
                times[name] += got
                round_p99[name].append(pct(got, 0.99))
                for status, n in seen.items():
                    statuses[name][status] = statuses[name].get(status, 0) + n
        bare_p50, bare_p99 = pct(times["bare static"], 0.5), pct(times["bare static"], 0.99)
        for name, _ in kinds:
            p50, p99 = pct(times[name], 0.5), pct(times[name], 0.99)
            pairs = zip(round_p99[name], round_p99["bare static"], strict=True)
            ratios = [ours / b for ours, b in pairs]
            print(
                f"  {name:13s} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                f"p50/bare {p50 / bare_p50:5.2f}  p99/bare {p99 / bare_p99:5.2f}  "
                f"(rounds' p99/bare {min(ratios):.2f}–{max(ratios):.2f})  {statuses[name]}"
            )
        deliveries = signed(args.events, secret)
        _, _, bare_s = asyncio.run(
            load(f"{bare}/hook", len(deliveries), args.clients, "POST", deliveries)
        )
        before = WebhookEvent.select().count()
        _, statuses, ours_s = asyncio.run(
            load(f"{base}/webhooks/stripe", len(deliveries), args.clients, "POST", deliveries)
        )
        recorded = WebhookEvent.select().count() - before
        print(
            f"  webhooks: {args.events} events x2 deliveries; bare signature check "
            f"{len(deliveries) / bare_s:7.0f} deliveries/s; paydesk {args.events / ours_s:6.0f} "
            f"events/s applied ({len(deliveries) / ours_s:6.0f} deliveries/s), "
            f"recorded {recorded} (once each: {recorded == args.events}) {statuses}"
        )
    finally:
        stop_sandbox(home)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
