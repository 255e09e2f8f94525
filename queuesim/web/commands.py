"""Sub-commands for the web services: ``queuesim serve <service>`` and ``queuesim reset <service>``.

Each service is a sub-sub-command (``serve stock``, ``serve seats``, ``reset stock``,
``reset seats``): a service adds a ``_add_serve_<name>`` and a ``_add_reset_<name>``
function and calls them from :func:`register`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from queuesim.connection import connect, mask_url, redis_url
from queuesim.errors import ConnectionFailed, InvalidURL, ProductNotFound
from queuesim.exercises.store import DEFAULT_URL as STORE_URL
from queuesim.seats import INITIAL_SEATS, SEATS_KEY, SWITCH_KEY, SeatService
from queuesim.stock import MAX_STOCK, PRODUCTS, StockService, get_item_by_id
from queuesim.supply import MAX_COUNT, Strategy
from queuesim.web.clients import ClientKind
from queuesim.web.serve import DEFAULT_HOST, DEFAULT_PORT, MAX_WORKERS

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``serve`` and ``reset`` to ``sub`` (an argparse sub-parsers object)."""
    serve = sub.add_parser(
        "serve",
        help="run a web service (stop it with Ctrl-C or SIGTERM)",
        description="Run one of the exercises' web services (one uvicorn process, or --workers N).",
    )
    services = serve.add_subparsers(dest="service", metavar="SERVICE", required=True)
    _add_serve_stock(services)
    _add_serve_seats(services)
    _add_serve_dashboard(services)

    reset = sub.add_parser(
        "reset",
        help="give a service its initial state back",
        description="Restore a service's initial state in Redis. Starting a server never does this.",
    )
    targets = reset.add_subparsers(dest="service", metavar="SERVICE", required=True)
    _add_reset_stock(targets)
    _add_reset_seats(targets)


def _hint_if_embedded(service: str, url: str | None) -> None:
    """Say on stderr that a server on the embedded store is alone with it (nothing else can reach it)."""
    try:
        embedded = redis_url(url) is None
    except InvalidURL:
        return  # the server refuses the URL itself, with its own message
    if embedded:
        print(
            f"hint: serve {service} is using the embedded store, which lives inside this server process only: "
            "workers, `queuesim reset` and other services in other processes cannot reach it; run "
            f"`queuesim store` and set REDIS_URL={STORE_URL} everywhere, or point REDIS_URL "
            "at a Redis server.",
            file=sys.stderr,
        )


def _redis_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis",
        metavar="URL",
        default=None,
        help="Redis URL (default: REDIS_URL, else the embedded store)",
    )


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _stock_quantity(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > MAX_STOCK:
        raise argparse.ArgumentTypeError(f"{text!r} is not a stock quantity (0-{MAX_STOCK})")
    return int(text)


def _server_options(p: argparse.ArgumentParser, what: str) -> None:
    """The options every ``serve`` service takes: where to listen, Redis, strategy, I/O, access log."""
    p.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    _redis_option(p)
    p.add_argument(
        "--strategy",
        choices=[s.value for s in Strategy],
        default=Strategy.ATOMIC.value,
        help=f"how a reservation checks and takes {what} (default atomic; naive is racy, for teaching)",
    )
    p.add_argument(
        "--io",
        choices=[k.value for k in ClientKind],
        default=ClientKind.ASYNC.value,
        help="handlers await an asyncio client, or run a sync client in threads (default async)",
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="server processes sharing the port (default 1; more than one needs --redis or REDIS_URL)",
    )


def _workers(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes between 1 and {MAX_WORKERS}")
    return int(text)


def _add_serve_stock(services: Any) -> None:
    p = services.add_parser(
        "stock",
        help="exercise 12, 'In stock?': list and reserve products",
        description="Serve GET /list_products, /list_products/<id> and /reserve_product/<id>.",
    )
    _server_options(p, "stock")
    p.set_defaults(func=_serve_stock)


def _serve_stock(args: argparse.Namespace) -> int:
    from queuesim.web.stock_app import serve_stock  # FastAPI loads only when a server runs

    _hint_if_embedded("stock", args.redis)
    try:
        return serve_stock(
            args.host, args.port, args.redis, args.strategy, io=args.io, access_log=args.access_log,
            workers=args.workers,
        )
    except ValueError as exc:  # a bad URL, or several workers on the embedded store
        print(f"queuesim serve stock: {exc}", file=sys.stderr)
        return 2


def _add_serve_seats(services: Any) -> None:
    p = services.add_parser(
        "seats",
        help="exercise 13, 'Can I have a seat?': reserve seats through a job queue",
        description="Serve GET /available_seats, /reserve_seat (saves a job on queue reserve_seat) and "
        "/process (starts this server's worker on that queue). Prints a line per job that completes or fails.",
    )
    _server_options(p, "a seat")
    p.add_argument(
        "--concurrency", type=_positive, default=1, help="jobs the worker runs at once (default 1)"
    )
    p.set_defaults(func=_serve_seats)


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 1 and 1000")
    return int(text)


def _serve_seats(args: argparse.Namespace) -> int:
    from queuesim.web.seats_app import serve_seats  # FastAPI loads only when a server runs

    _hint_if_embedded("seats", args.redis)
    try:
        return serve_seats(
            args.host,
            args.port,
            args.redis,
            args.strategy,
            io=args.io,
            concurrency=args.concurrency,
            access_log=args.access_log,
            workers=args.workers,
        )
    except ValueError as exc:  # a bad URL, or several workers on the embedded store
        print(f"queuesim serve seats: {exc}", file=sys.stderr)
        return 2


def _add_serve_dashboard(services: Any) -> None:
    p = services.add_parser(
        "dashboard",
        help="Kue's JSON API and a live dashboard of every queue",
        description="Serve the queue dashboard (open it in a browser) and Kue's JSON API. Without a token "
        "it listens on loopback only; with one, every route that changes something needs "
        "'Authorization: Bearer <token>'.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=_port, default=1246, help="port (default 1246)")
    _redis_option(p)
    p.add_argument(
        "--token",
        default=os.environ.get("QUEUESIM_DASHBOARD_TOKEN") or None,
        help="require this bearer token for changes (default: QUEUESIM_DASHBOARD_TOKEN); "
        "needed to listen beyond loopback",
    )
    p.add_argument("--prefix", default="qs", help="the queues' key prefix (default qs)")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=_serve_dashboard)


def _serve_dashboard(args: argparse.Namespace) -> int:
    from queuesim.web.dashboard import serve_dashboard  # FastAPI loads only when a server runs

    _hint_if_embedded("dashboard", args.redis)
    try:
        return serve_dashboard(
            args.host, args.port, args.redis, token=args.token, prefix=args.prefix, access_log=args.access_log
        )
    except ValueError as exc:  # a bad URL, token or prefix, or no token beyond loopback
        print(f"queuesim serve dashboard: {exc}", file=sys.stderr)
        return 2


def _add_reset_stock(targets: Any) -> None:
    p = targets.add_parser(
        "stock",
        help="give every product its initial stock back",
        description="Delete the item.<id> keys, so each product has its initial stock again "
        "(or set a quantity, e.g. a large one for a benchmark).",
    )
    _redis_option(p)
    p.add_argument("--quantity", type=_stock_quantity, default=None, help="set this stock instead")
    p.add_argument("--item", metavar="ID", default=None, help="only this product")
    p.set_defaults(func=_reset_stock)


def _reset(
    args: argparse.Namespace, what: str, apply: Callable[[Any], None], report: Callable[[], list[str]]
) -> int:
    """The body of ``queuesim reset <what>``: connect, ``apply(client)``, then say where and what.

    A bad URL or an unknown product (``ProductNotFound``) exits 2,
    an unreachable store 1.
    """
    try:
        url = redis_url(args.redis)
        client = connect(url, attempts=1)
    except (InvalidURL, ConnectionFailed) as exc:
        print(f"queuesim reset {what}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InvalidURL) else 1
    try:
        apply(client)
    except ProductNotFound as exc:
        print(f"queuesim reset {what}: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
    where = "the embedded store" if url is None else mask_url(url)
    print(f"{what.capitalize()} reset on {where}:")
    for line in report():
        print(f"  {line}")
    if url is None:
        print("(The embedded store belongs to this process: a server started without --redis has its own.)")
    return 0


def _reset_stock(args: argparse.Namespace) -> int:
    def report() -> list[str]:
        products = PRODUCTS if args.item is None else (get_item_by_id(args.item),)
        lines = []
        for product in products:
            assert product is not None
            quantity = product.initial_quantity if args.quantity is None else args.quantity
            lines.append(f"item.{product.item_id} {product.name}: {quantity}")
        return lines

    return _reset(args, "stock", lambda client: StockService(client).reset(args.quantity, args.item), report)


def _seat_count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seats (0-{MAX_COUNT})")
    return int(text)


def _add_reset_seats(targets: Any) -> None:
    p = targets.add_parser(
        "seats",
        help="50 seats again, reservations on",
        description=f"Set {SEATS_KEY} to {INITIAL_SEATS} (or --seats N) and switch reservations on "
        "(off for 0 seats). Jobs already queued stay queued.",
    )
    _redis_option(p)
    p.add_argument(
        "--seats", type=_seat_count, default=INITIAL_SEATS, help=f"set this many seats (default {INITIAL_SEATS})"
    )
    p.set_defaults(func=_reset_seats)


def _reset_seats(args: argparse.Namespace) -> int:
    switch = "1 (reservations on)" if args.seats else "0 (reservations off)"
    return _reset(args, "seats", lambda client: SeatService(client).reset(args.seats),
                  lambda: [f"{SEATS_KEY}: {args.seats}", f"{SWITCH_KEY}: {switch}"])
