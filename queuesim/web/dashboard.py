"""The queue dashboard: Kue's JSON API, a live page, and server-sent events, in one FastAPI app.

``queuesim serve dashboard`` runs it. The page (``queuesim/web/static/``: plain
HTML, CSS and JavaScript, no build step) lists jobs per state and queue, shows
a job's data, progress, logs, error and timeline, retries, removes and
re-prioritises jobs, pauses queues, lists the live workers and what they run,
and follows the queues' event streams through ``GET /events``. For operators:
``/metrics`` (Prometheus), ``/healthz`` and ``/readyz`` (see
:mod:`queuesim.web.operations`). Without a token the server listens on loopback only;
with ``--token``, every route that changes something needs
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from queuesim._version import __version__
from queuesim.connection import redis_url as check_url
from queuesim.queue.core import check_name, wall_clock_ms
from queuesim.queue.keys import QueueKeys
from queuesim.web import kue_models
from queuesim.web.clients import DEFAULT_TIMEOUT, ClientKind, server_client
from queuesim.web.common import DEFAULT_DEADLINE, ClientSource, RedisRunner, install_error_handlers
from queuesim.web.kue_api import add_kue_routes
from queuesim.web.live import BLOCK_MS, EventPump, event_stream
from queuesim.web.operations import add_operations_routes
from queuesim.web.serve import DEFAULT_HOST, serve

__all__ = [
    "DEFAULT_DASHBOARD_PORT",
    "PAGES",
    "check_bind",
    "check_token",
    "create_dashboard_app",
    "is_loopback",
    "serve_dashboard",
]

#: ``queuesim serve dashboard``'s port (the stock service has 1245).
DEFAULT_DASHBOARD_PORT = 1246
#: The page's addresses: ``/`` and Kue's UI routes, one per state.
PAGES = ("/", "/inactive", "/active", "/failed", "/complete", "/delayed")
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_MUTATING = {"POST", "PUT", "DELETE", "PATCH"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only ever means this machine."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_token(token: str | None) -> str | None:
    """``token`` if it can travel in an ``Authorization`` header; ``ValueError`` otherwise."""
    if token is None:
        return None
    if not token or not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise ValueError("the token must be non-empty printable ASCII without spaces")
    return token


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve the dashboard beyond this machine without a token.

    Raises:
        ValueError: ``host`` is not a loopback address and no token is set.
    """
    if token is None and not is_loopback(host):
        raise ValueError(
            f"refusing to listen on {host!r} without a token: anyone who can reach it could change "
            "your queues. Pass --token (or set QUEUESIM_DASHBOARD_TOKEN), or listen on 127.0.0.1"
        )


def _static(name: str) -> bytes:
    return resources.files("queuesim.web").joinpath("static", name).read_bytes()


def _cross_site(request: Request) -> bool:
    """A browser sent this request on behalf of another site (a page the user happened to visit)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") != host


def _local_host(header: str) -> bool:
    """Whether a ``Host`` header names this machine literally (``localhost`` or a loopback address)."""
    host = header.strip().lower()
    if host.startswith("["):  # [::1]:1246
        name = host[1:host.find("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _Guard:
    """Refuses what a browser may be tricked into sending.

    * A change sent for another site (``Sec-Fetch-Site``, ``Origin``): 403, so a
      page the user visits cannot post to the local dashboard.
    * Without a token, a request whose ``Host`` is not ``localhost`` or a loopback
      address: 403, so a name that an attacker re-points at 127.0.0.1 (DNS
      rebinding) cannot make the browser read or change the queues.
    """

    def __init__(self, app: ASGIApp, *, local_only: bool) -> None:
        self.app = app
        self.local_only = local_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refusal = None
            if self.local_only and not _local_host(request.headers.get("host", "")):
                refusal = "this dashboard has no token, so it answers only to localhost and loopback addresses"
            elif (scope["method"] in _MUTATING or scope["path"].startswith("/inactive/")) and _cross_site(request):
                refusal = "cross-site request refused"
            if refusal is not None:
                await JSONResponse({"error": refusal}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _tidy_openapi(app: FastAPI) -> None:
    """The schema lists 400 (not FastAPI's 422) for bad input, and documents ``POST /job``'s body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            models = schema.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                models.pop(name, None)
            spec = kue_models.JobSpec.model_json_schema(ref_template="#/components/schemas/{model}")
            models.update(spec.pop("$defs", {}))
            models["JobSpec"] = spec
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_dashboard_app(
    source: ClientSource,
    *,
    token: str | None = None,
    prefix: str = "qs",
    deadline: float = DEFAULT_DEADLINE,
    clock: Callable[[], int] = wall_clock_ms,
    block_ms: int = BLOCK_MS,
) -> FastAPI:
    """The dashboard and Kue's JSON API over every queue under ``prefix``.

    Args:
        source: a Redis client, sync or asyncio, or a callable making one at
            startup (closed at shutdown), as for :func:`~queuesim.web.create_stock_app`.
        token: when set, every route that changes something requires
            ``Authorization: Bearer <token>`` (401 otherwise).
        prefix: the queues' key prefix (``Queue(..., prefix=...)``).
        deadline: seconds a request may wait for Redis before answering 503.
        clock: the current time in ms.
        block_ms: how long the live view's XREAD blocks (shorter than the client's socket timeout).

    Raises:
        ValueError: a bad prefix, token or deadline.
    """
    check_name(prefix)
    check_token(token)
    if isinstance(block_ms, bool) or not isinstance(block_ms, int) or block_ms < 1:
        raise ValueError(f"block_ms must be an int >= 1, got {block_ms!r}")
    runner = RedisRunner(source, deadline=deadline)
    pump = EventPump(runner, prefix, block_ms=block_ms)
    page = _static("index.html")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runner.start()
        try:
            yield
        finally:
            await pump.aclose()
            await runner.aclose()

    app = FastAPI(
        title="queuesim dashboard",
        version=__version__,
        description="Kue's JSON API over every queuesim queue under the key prefix "
        f"`{prefix}` (`{QueueKeys('NAME', prefix).jobs}`, …), plus live events and per-queue timings. "
        "Errors are 4xx with Kue's `{\"error\": ...}` body. Job routes take `?type=<queue>`: ids belong "
        "to a queue." + (" Routes that change something need the bearer token." if token else ""),
        lifespan=lifespan,
    )
    app.state.redis = runner
    app.state.live = pump
    app.state.prefix = prefix
    app.state.token_required = token is not None
    install_error_handlers(app)

    app.add_middleware(_Guard, local_only=token is None)
    add_kue_routes(app, runner, prefix=prefix, token=token, clock=clock, notify=pump.publish)
    add_operations_routes(app, runner, prefix=prefix, clock=clock)
    _tidy_openapi(app)

    @app.get(
        "/events",
        tags=["beyond kue"],
        summary="Live job events (server-sent events)",
        response_class=StreamingResponse,
        responses={200: {
            "description": "`event: jobs` with a JSON array of job events per batch, `event: status` when "
                           "Redis goes down or comes back, keep-alive comments; never ends by itself",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }},
    )
    async def events(request: Request) -> StreamingResponse:
        return StreamingResponse(
            event_stream(pump, request.is_disconnected),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def show_page() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    for path in PAGES:
        app.add_api_route(path, show_page, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(packages=[("queuesim.web", "static")]), name="static")
    return app


def serve_dashboard(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_DASHBOARD_PORT,
    redis_url: str | None = None,
    *,
    token: str | None = None,
    prefix: str = "qs",
    io: ClientKind | str = ClientKind.ASYNC,
    timeout: float = DEFAULT_TIMEOUT,
    access_log: bool = False,
) -> int:
    """Run the dashboard until Ctrl-C/SIGTERM (``queuesim serve dashboard``).

    Redis is ``redis_url``, else ``REDIS_URL``, else the embedded store.

    Returns:
        the exit code: 0 after a clean stop, 1 if the port could not be bound.

    Raises:
        ValueError: no token and a non-loopback ``host``, or a bad token or prefix.
        InvalidURL: ``redis_url`` is malformed.
    """
    check_token(token)
    check_bind(host, token)
    kind = ClientKind(io)
    check_url(redis_url)
    app = create_dashboard_app(lambda: server_client(redis_url, kind, timeout=timeout), token=token, prefix=prefix)
    return serve(app, host, port, access_log=access_log, on_shutdown=[app.state.live.stop])

