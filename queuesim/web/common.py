"""What every queuesim web app shares: Redis access for handlers and JSON errors.

* :class:`RedisRunner` runs conversations for request handlers on either kind
  of client: an asyncio client is awaited on the event loop, a synchronous one
  runs in the threadpool. Either way a request waits at most ``deadline``
  seconds for Redis.
* :func:`install_error_handlers` turns a Redis that is down, slow or failing
  into a JSON ``503`` (with ``Retry-After``) and any other unexpected error into
  a JSON ``500``: never a hang, never a traceback in a body. Once Redis answers
  again, the next request succeeds: clients reconnect by themselves.

Bodies are compact JSON in the order the handler built them: Starlette's
``JSONResponse`` already renders with ``separators=(",", ":")``, so the apps use
it as is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, TypeVar

import anyio
import anyio.to_thread
import redis
import redis.asyncio
import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from queuesim.drivers import AsyncDriver, Conversation, SyncDriver

__all__ = [
    "DEFAULT_DEADLINE",
    "INTERNAL_ERROR",
    "UNAVAILABLE",
    "AnyClient",
    "ClientSource",
    "InternalError",
    "RedisRunner",
    "ServiceUnavailable",
    "install_error_handlers",
    "openapi_without_validation_errors",
    "unavailable",
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


def unavailable(detail: str, retry_after: int = 1) -> JSONResponse:
    """A JSON 503 response with ``Retry-After``."""
    return JSONResponse(
        {"status": UNAVAILABLE, "detail": detail},
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )


def _is_async(client: Any) -> bool:
    if isinstance(client, redis.asyncio.Redis):
        return True
    if isinstance(client, redis.Redis):
        return False
    raise TypeError(f"expected a redis.Redis or redis.asyncio.Redis client, got {type(client).__name__}")


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

    __slots__ = ("_client", "_driver", "_factory", "_is_async", "_owned", "deadline")

    def __init__(self, source: ClientSource, *, deadline: float = DEFAULT_DEADLINE) -> None:
        if not deadline > 0:
            raise ValueError(f"deadline must be > 0 seconds, got {deadline!r}")
        self.deadline = float(deadline)
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
        self._ensure()
        driver = self._driver
        with anyio.fail_after(self.deadline):
            if self._is_async:
                return await driver.run(conversation)  # type: ignore[no-any-return]
            return await anyio.to_thread.run_sync(driver.run, conversation, abandon_on_cancel=True)


def install_error_handlers(app: FastAPI) -> None:
    """Answer Redis failures with a JSON 503 and anything unexpected with a JSON 500."""

    async def redis_failed(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: Redis failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        if isinstance(exc, TimeoutError | redis.exceptions.TimeoutError):
            return unavailable("Redis did not answer in time")
        if isinstance(exc, redis.exceptions.ConnectionError):
            return unavailable("Redis is not reachable")
        return unavailable("Redis could not process the request")

    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"status": INTERNAL_ERROR}, status_code=500)

    app.add_exception_handler(redis.exceptions.RedisError, redis_failed)
    app.add_exception_handler(TimeoutError, redis_failed)
    app.add_exception_handler(Exception, crashed)


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
