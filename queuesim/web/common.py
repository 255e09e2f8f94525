"""What every queuesim web app shares: Redis access for handlers and JSON errors.

* :class:`RedisRunner` runs conversations for request handlers on either kind
  of client: an asyncio client is awaited on the event loop, a synchronous one
  runs in the threadpool. Either way a request waits at most ``deadline``
  seconds for Redis.
* :func:`install_error_handlers` turns a Redis that is down, slow or failing
  into a JSON ``503`` (with ``Retry-After``) and any other unexpected error into
  a JSON ``500``: never a hang, never a traceback in a body. Once Redis answers
  again, the next request succeeds: clients reconnect by themselves.

* :class:`Reply` is a response rendered once (status, compact JSON body,
  headers); a :class:`ServiceApp` answers its busiest ``GET`` routes
  (:class:`HotRoutes`) with such replies straight from ASGI, ahead of FastAPI's
  middleware, routing, validation and response machinery, while the same routes
  stay declared in FastAPI for the schema, the docs and every other method
  (``bench/README.md`` has the figures).

Bodies are compact JSON in the order the handler built them (Starlette's
``JSONResponse`` rendering: ``separators=(",", ":")``, UTF-8, no ASCII escaping).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeAlias, TypeVar

import anyio
import anyio.to_thread
import redis
import redis.asyncio
import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from queuesim.drivers import AsyncDriver, Conversation, SyncDriver

__all__ = [
    "DEFAULT_DEADLINE",
    "INTERNAL_ERROR",
    "UNAVAILABLE",
    "AnyClient",
    "ClientSource",
    "HotHandler",
    "HotRoutes",
    "InternalError",
    "RedisRunner",
    "Reply",
    "ServiceApp",
    "ServiceUnavailable",
    "error_reply",
    "install_error_handlers",
    "openapi_without_validation_errors",
    "unavailable",
    "unavailable_reply",
]

log = logging.getLogger("queuesim.web")

T = TypeVar("T")

#: A synchronous or an asyncio Redis client.
AnyClient: TypeAlias = "redis.Redis | redis.asyncio.Redis"
#: A client, or a callable that makes one when the app starts (the app then closes it on shutdown).
ClientSource: TypeAlias = "AnyClient | Callable[[], AnyClient]"

#: Seconds a request waits for Redis before answering 503 (a backstop to the client's socket timeouts).
DEFAULT_DEADLINE = 3.0
#: The ``status`` of a 503 body.
UNAVAILABLE = "Service unavailable"
#: The ``status`` of a 500 body.
INTERNAL_ERROR = "Internal server error"


class ServiceUnavailable(BaseModel):
    """503: Redis is down, slow or failing (or the request could not be served now); try again."""

    status: Literal["Service unavailable"]
    detail: str


class InternalError(BaseModel):
    """500: an unexpected error; the details are in the server log, not in the body."""

    status: Literal["Internal server error"]


class Reply:
    """A response rendered once: a status, a compact JSON body and its headers.

    Handlers return replies; :meth:`response` makes the Starlette response FastAPI
    sends, and :class:`HotRoutes` sends the same bytes straight to the ASGI server.
    Constant replies (a 404 body, a product's "confirmed") are made once and reused.
    """

    __slots__ = ("body", "headers", "raw_headers", "status")

    def __init__(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()),
        ]

    @classmethod
    def json(cls, content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """``content`` rendered as Starlette's ``JSONResponse`` renders it."""
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        return cls(status, body, headers)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.body[:60]!r}>"

    def response(self) -> Response:
        """This reply as a Starlette response (for FastAPI handlers)."""
        return Response(self.body, self.status, self.headers or None, media_type="application/json")

    async def send(self, send: Send) -> None:
        """Send this reply over ASGI."""
        # a copy of the headers: a server may add its own to the list it is given
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.raw_headers)})
        await send({"type": "http.response.body", "body": self.body})


def unavailable_reply(detail: str, retry_after: int = 1) -> Reply:
    """A JSON 503 with ``Retry-After``."""
    return Reply.json({"status": UNAVAILABLE, "detail": detail}, 503, {"Retry-After": str(retry_after)})


def unavailable(detail: str, retry_after: int = 1) -> Response:
    """A JSON 503 response with ``Retry-After``."""
    return unavailable_reply(detail, retry_after).response()


_REDIS_DOWN = unavailable_reply("Redis is not reachable")
_REDIS_SLOW = unavailable_reply("Redis did not answer in time")
_REDIS_FAILED = unavailable_reply("Redis could not process the request")
_CRASHED = Reply.json({"status": INTERNAL_ERROR}, 500)


def error_reply(method: str, path: str, exc: Exception) -> Reply:
    """What an app answers when a handler raised ``exc`` (logged here): a 503 for Redis, else a 500."""
    if isinstance(exc, redis.exceptions.RedisError | TimeoutError):
        log.warning("%s %s: Redis failed: %s: %s", method, path, type(exc).__name__, exc)
        if isinstance(exc, TimeoutError | redis.exceptions.TimeoutError):
            return _REDIS_SLOW
        if isinstance(exc, redis.exceptions.ConnectionError):
            return _REDIS_DOWN
        return _REDIS_FAILED
    log.error("%s %s failed", method, path, exc_info=exc)
    return _CRASHED


def _is_async(client: Any) -> bool:
    if isinstance(client, redis.asyncio.Redis):
        return True
    if isinstance(client, redis.Redis):
        return False
    raise TypeError(f"expected a redis.Redis or redis.asyncio.Redis client, got {type(client).__name__}")


class _Deadlines:
    """Deadlines for many asyncio tasks, kept by one timer per event loop.

    A timer per request (``asyncio.timeout``) costs 5-10 µs to arm and cancel,
    a tenth of what a whole request costs the stock service; here a task's
    deadline is an entry in a dict, and a timer that ticks every ``period``
    seconds while tasks run cancels those past their deadline (so a deadline
    fires up to ``period`` late).
    """

    __slots__ = ("_due", "_expired", "_timers", "period", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.period = min(0.1, seconds / 4)
        self._due: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._timers: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}

    def start(self, task: asyncio.Task[Any]) -> None:
        """``task``'s deadline is ``seconds`` from now."""
        loop = task.get_loop()
        self._due[task] = loop.time() + self.seconds
        if loop not in self._timers:
            self._timers[loop] = loop.call_later(self.period, self._sweep, loop)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` was cancelled by its deadline alone (call on ``CancelledError``: takes it back)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0  # no other cancellation is pending

    def end(self, task: asyncio.Task[Any]) -> None:
        """Forget ``task``'s deadline."""
        self._due.pop(task, None)
        self._expired.discard(task)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        waiting = False
        for task, due in list(self._due.items()):
            if task.get_loop() is not loop:
                continue
            if due <= now and task not in self._expired:
                self._expired.add(task)
                task.cancel()
            waiting = True
        if waiting:
            self._timers[loop] = loop.call_later(self.period, self._sweep, loop)
        else:
            del self._timers[loop]


class RedisRunner:
    """Runs conversations for request handlers, on a sync or an asyncio client, within a deadline.

    Args:
        source: a client (the caller keeps ownership), or a callable that makes
            one; a made client is created on :meth:`start` (or on first use)
            and closed by :meth:`aclose`.
        deadline: seconds a conversation may take before :class:`TimeoutError`
            is raised (a sync conversation's thread is then abandoned: its own
            socket timeout ends it).
    """

    __slots__ = ("_client", "_deadlines", "_driver", "_factory", "_is_async", "_owned", "deadline")

    def __init__(self, source: ClientSource, *, deadline: float = DEFAULT_DEADLINE) -> None:
        if not deadline > 0:
            raise ValueError(f"deadline must be > 0 seconds, got {deadline!r}")
        self.deadline = float(deadline)
        self._deadlines = _Deadlines(self.deadline)
        self._client: Any = None
        self._driver: Any = None
        self._factory: Callable[[], Any] | None = None
        self._is_async = False
        self._owned = False
        if isinstance(source, redis.Redis | redis.asyncio.Redis):
            self._set(source, owned=False)
        elif callable(source):
            self._factory = source
        else:
            raise TypeError(f"expected a Redis client or a callable making one, got {type(source).__name__}")

    def __repr__(self) -> str:
        kind = "unstarted" if self._client is None else ("asyncio" if self._is_async else "sync")
        return f"<RedisRunner {kind} deadline={self.deadline}s>"

    def _set(self, client: Any, *, owned: bool) -> Any:
        self._is_async = _is_async(client)
        # one driver per client: it remembers which scripts it has loaded into the server
        self._driver = AsyncDriver(client) if self._is_async else SyncDriver(client)
        self._client = client
        self._owned = owned
        return client

    @property
    def client(self) -> Any:
        """The client handlers use (made now if a factory was given)."""
        return self._ensure()

    @property
    def is_async(self) -> bool:
        """Whether handlers await an asyncio client (else a sync client runs in the threadpool)."""
        self._ensure()
        return self._is_async

    def _ensure(self) -> Any:
        if self._client is None:
            assert self._factory is not None
            self._set(self._factory(), owned=True)
        return self._client

    async def start(self) -> None:
        """Make the client now if a factory was given (call it from the app's lifespan)."""
        self._ensure()

    async def aclose(self) -> None:
        """Close the client if this runner made it."""
        client, self._client = self._client, None
        if client is None or not self._owned:
            return
        if self._is_async:
            await client.aclose()
        else:
            client.close()

    async def run(self, conversation: Conversation[T]) -> T:
        """Run ``conversation`` and return its result.

        Raises:
            TimeoutError: Redis did not finish within ``deadline``.
            redis.RedisError: what the client raised (e.g. ``ConnectionError``).
        """
        if self._client is None:
            self._ensure()
        driver = self._driver
        if self._is_async:
            task = asyncio.current_task()
            assert task is not None
            deadlines = self._deadlines
            deadlines.start(task)
            try:
                return await driver.run(conversation)  # type: ignore[no-any-return]
            except asyncio.CancelledError:
                if deadlines.expired(task):
                    raise TimeoutError(f"Redis did not finish within {self.deadline} s") from None
                raise
            finally:
                deadlines.end(task)
        with anyio.fail_after(self.deadline):
            return await anyio.to_thread.run_sync(driver.run, conversation, abandon_on_cancel=True)


def install_error_handlers(app: FastAPI) -> None:
    """Answer Redis failures with a JSON 503 and anything unexpected with a JSON 500."""

    async def failed(request: Request, exc: Exception) -> Response:
        return error_reply(request.method, request.url.path, exc).response()

    app.add_exception_handler(redis.exceptions.RedisError, failed)
    app.add_exception_handler(TimeoutError, failed)
    app.add_exception_handler(Exception, failed)


#: A hot route's handler: the path parameter (or ``""`` for a route without one) to its reply.
HotHandler: TypeAlias = Callable[[str], Awaitable[Reply]]


class HotRoutes:
    """A few ``GET`` routes answered straight from ASGI: see :class:`ServiceApp`.

    Args:
        exact: path → handler, for routes without a parameter (called with ``""``).
        prefixed: ``"/route"`` → handler, for ``/route/{param}`` (one non-empty
            path segment, as FastAPI matches ``{param}``).
    """

    __slots__ = ("exact", "prefixed")

    def __init__(
        self, exact: Mapping[str, HotHandler] | None = None, prefixed: Mapping[str, HotHandler] | None = None
    ) -> None:
        self.exact = dict(exact or {})
        self.prefixed = dict(prefixed or {})

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer the request if it is a plain ``GET`` of a hot route; whether it was.

        A handler's Redis failure is answered like the app's error handlers do (a
        503); any other exception is answered with the app's 500, then raised
        again for the server to log, as Starlette's error middleware does.
        """
        if scope["method"] != "GET" or scope.get("root_path"):
            return False
        path: str = scope["path"]
        handler = self.exact.get(path)
        param = ""
        if handler is None:
            prefix, _, param = path.rpartition("/")
            handler = self.prefixed.get(prefix) if param else None
            if handler is None:
                return False
        try:
            reply = await handler(param)
        except Exception as exc:
            await error_reply("GET", path, exc).send(send)
            if not isinstance(exc, redis.exceptions.RedisError | TimeoutError):
                raise
            return True
        await reply.send(send)
        return True


class ServiceApp(FastAPI):
    """A FastAPI app whose busiest ``GET`` routes are answered before FastAPI's machinery.

    FastAPI costs a request its middleware stack (error handling, telemetry, a
    body limit), routing, parameter validation and the response's rendering:
    most of what one request of the stock service costs. Routes set in
    :attr:`hot_routes` are answered by their handler as soon as the request
    arrives, with a :class:`Reply` rendered once. The same routes stay declared
    on the app with the same handlers behind them, so the schema, the docs,
    ``HEAD`` and the 404/405 answers are FastAPI's; only middleware added to the
    app (and FastAPI's own OpenTelemetry instrumentation) does not see the hot
    requests.
    """

    #: the routes answered first (``None``: every request goes through FastAPI)
    hot_routes: HotRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a hot route, or handle the request as FastAPI does."""
        hot = self.hot_routes
        if hot is not None and scope["type"] == "http" and await hot.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


def openapi_without_validation_errors(app: FastAPI) -> None:
    """Make ``app``'s schema stop promising 422 responses that cannot happen.

    FastAPI documents a 422 on every operation with parameters. For an app whose
    parameters are all plain path strings (any non-empty segment is valid),
    no request can fail validation, so the 422 and its models are removed and
    the schema lists exactly the responses the app gives.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            models = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                models.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
