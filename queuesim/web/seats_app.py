"""Exercise 13 over HTTP: the seat reservation service (docs/SPEC.md §13), as a FastAPI app.

Routes and bodies are the original's, made exact (compact JSON, same keys):

* ``GET /available_seats`` → 200 ``{"numberOfAvailableSeats":"50"}`` (a string, as the original);
* ``GET /reserve_seat`` → 409 ``{"status":"Reservation are blocked"}`` (sic) when
  reservations are off; else it saves a job on queue ``reserve_seat`` and, only
  once the job is saved, answers 202 ``{"status":"Reservation in process"}``, or
  503 ``{"status":"Reservation failed"}`` if saving failed (or did not finish within
  the deadline: a save that Redis completes that late still runs its job);
* ``GET /process`` → 200 ``{"status":"Queue processing"}``: starts this process's
  worker on the queue (in the server process, on threads); later calls start no more.

**Decision**: the original answered 200 to everything; here "in process" is
``202 Accepted`` (queued, not done), "blocked" is ``409 Conflict`` (as the stock
service's "not enough stock") and "failed" is ``503`` with ``Retry-After``.
The server prints ``Seat reservation job <id> completed`` or
``Seat reservation job <id> failed: <error>`` for each job it created, from the
job's events. Redis down or slow → a JSON 503 within a bounded time (see
:mod:`queuesim.web.common`). On shutdown the worker stops gracefully: running
jobs finish, or go back to ``inactive``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import anyio.to_thread
import redis
import redis.asyncio
import redis.exceptions
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, Field

from queuesim._version import __version__
from queuesim.queue.queue import wall_clock_ms
from queuesim.seat_jobs import SeatProcessor, enqueue_reservation, print_line, reservation_handler
from queuesim.seats import INITIAL_SEATS, current_seats, reservation_enabled
from queuesim.supply import DEFAULT_MAX_RETRIES, Strategy, check_count
from queuesim.web.clients import DEFAULT_TIMEOUT, ClientKind, server_client
from queuesim.web.common import (
    DEFAULT_DEADLINE,
    ClientSource,
    HotRoutes,
    RedisRunner,
    Reply,
    ServiceApp,
    ServiceUnavailable,
    install_error_handlers,
)
from queuesim.web.serve import DEFAULT_HOST, DEFAULT_PORT, check_workers, serve

__all__ = [
    "WORKER_TIMEOUT",
    "AvailableSeatsOut",
    "QueueProcessing",
    "ReservationFailedBody",
    "ReservationInProcess",
    "ReservationsBlockedBody",
    "SyncClientSource",
    "create_seats_app",
    "main",
    "serve_seats",
]

log = logging.getLogger("queuesim.web")

#: Seconds the worker's and the event listener's Redis commands may take (``serve_seats``): more than
#: the request handlers' timeout, since they block up to 0.5 s in Redis by design and nobody waits on
#: them; a job that timed out would fail.
WORKER_TIMEOUT = 5.0
#: A synchronous client, or a callable that makes one when the app starts (the app then closes it).
SyncClientSource = redis.Redis | Callable[[], redis.Redis]


class AvailableSeatsOut(BaseModel):
    """200: the seats left, as a string of digits (the original sent the stored string)."""

    numberOfAvailableSeats: str = Field(pattern=r"^-?[0-9]+$", examples=["50"])


class ReservationInProcess(BaseModel):
    """202: the reservation job is saved; a worker will reserve the seat (or fail) later."""

    status: Literal["Reservation in process"]


class ReservationsBlockedBody(BaseModel):
    """409: reservations are switched off (no seat left); nothing was saved."""

    status: Literal["Reservation are blocked"]


class ReservationFailedBody(BaseModel):
    """503: the reservation job could not be saved (Redis failed while saving it); try again."""

    status: Literal["Reservation failed"]


class QueueProcessing(BaseModel):
    """200: this server process's worker is processing the ``reserve_seat`` queue."""

    status: Literal["Queue processing"]


_BLOCKED = Reply.json({"status": "Reservation are blocked"}, 409)
_IN_PROCESS = Reply.json({"status": "Reservation in process"}, 202)
_FAILED = Reply.json({"status": "Reservation failed"}, 503, {"Retry-After": "1"})
_PROCESSING = Reply.json({"status": "Queue processing"})
_SEATS_HEAD = b'{"numberOfAvailableSeats":"'
_UNAVAILABLE_DOC = {"model": ServiceUnavailable, "description": "Redis is down, slow or failing; try again"}


class _WorkerSide:
    """Makes the app's :class:`SeatProcessor` on first use and closes what it made."""

    def __init__(self, runner: RedisRunner, source: SyncClientSource | None, options: dict[str, Any]) -> None:
        self.runner = runner
        self.source = source
        self.options = options
        self.processor: SeatProcessor | None = None
        self._owned: redis.Redis | None = None

    def get(self) -> SeatProcessor:
        if self.processor is None:
            if self.source is None:
                client = self.runner.client  # the handlers' client; the runner closes it
            elif isinstance(self.source, redis.Redis):
                client = self.source
            else:
                client = self._owned = self.source()
            self.processor = SeatProcessor(client, **self.options)
        return self.processor

    def close(self) -> None:
        processor, self.processor = self.processor, None
        if processor is not None:
            processor.close()
        owned, self._owned = self._owned, None
        if owned is not None:
            owned.close()


def create_seats_app(
    source: ClientSource,
    strategy: Strategy | str = Strategy.ATOMIC,
    *,
    worker_source: SyncClientSource | None = None,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
    concurrency: int = 1,
    deadline: float = DEFAULT_DEADLINE,
    shutdown_timeout: float = 10.0,
    report: Callable[[str], None] = print_line,
    hot_routes: bool = True,
) -> FastAPI:
    """The seat reservation service as a FastAPI app.

    Its three ``GET`` routes are hot routes of a :class:`~queuesim.web.common.ServiceApp`
    (answered ahead of FastAPI's machinery; the FastAPI routes make the schema and docs).

    Args:
        source: the request handlers' Redis client, sync (``redis.Redis``: they run
            in the threadpool) or asyncio (``redis.asyncio.Redis``: they await it), or a
            callable making one at startup (closed at shutdown).
        strategy: how jobs reserve a seat: ``"atomic"`` (default), ``"watch"`` or
            ``"naive"`` (racy: teaching only).
        worker_source: the worker's synchronous client (or a callable making one at
            startup); default: ``source``, which must then be synchronous.
        think: seconds of client work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before the job fails.
        concurrency: jobs the worker runs at once.
        deadline: seconds a request may wait for Redis before answering 503.
        shutdown_timeout: seconds running jobs get to finish when the app stops.
        report: called with each log line (default: print it).
        hot_routes: ``False`` sends every request through FastAPI (same answers, slower).

    Use the test client as a context manager (``with TestClient(app) as client``):
    startup stores the initial 50 seats if no count exists, shutdown stops the worker.

    Raises:
        ValueError: an unknown strategy or an out-of-range argument.
        TypeError: an asyncio ``source`` without a ``worker_source``.
    """
    chosen = Strategy.parse(strategy, "seat")
    reservation_handler(chosen, think=think, max_retries=max_retries)  # checks the arguments now
    check_count(concurrency, minimum=1, what="concurrency")
    if worker_source is None and isinstance(source, redis.asyncio.Redis):
        raise TypeError("the seat worker needs a synchronous client: pass worker_source=")
    if worker_source is not None and not (isinstance(worker_source, redis.Redis) or callable(worker_source)):
        kind = type(worker_source).__name__
        raise TypeError(f"worker_source must be a redis.Redis or a callable making one, not {kind}")
    runner = RedisRunner(source, deadline=deadline)
    options = {"strategy": chosen, "think": think, "max_retries": max_retries, "concurrency": concurrency,
               "shutdown_timeout": shutdown_timeout, "report": report}
    side = _WorkerSide(runner, worker_source, options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runner.start()
        try:
            processor = side.get()
            try:
                if await anyio.to_thread.run_sync(processor.prepare):
                    log.info("available_seats set to %d (first start)", INITIAL_SEATS)
            except redis.exceptions.RedisError as exc:
                log.warning("Redis is not reachable at startup (%s); a missing count means %d seats", exc,
                            INITIAL_SEATS)
            yield
        finally:
            await anyio.to_thread.run_sync(side.close)
            await runner.aclose()

    async def seats_reply(_: str = "") -> Reply:
        seats = await runner.run(current_seats())
        return Reply(200, b'%s%d"}' % (_SEATS_HEAD, seats))

    async def reserve_reply(_param: str = "") -> Reply:
        if not await runner.run(reservation_enabled()):
            return _BLOCKED
        try:
            job_id, _ = await runner.run(enqueue_reservation(wall_clock_ms()))
        except (redis.exceptions.RedisError, TimeoutError) as exc:
            log.warning("GET /reserve_seat: the job was not saved: %s: %s", type(exc).__name__, exc)
            return _FAILED
        await _follow(side.get(), job_id)
        return _IN_PROCESS

    async def process_reply(_: str = "") -> Reply:
        side.get().process()
        return _PROCESSING

    app = ServiceApp(
        title="queuesim seat reservation service",
        version=__version__,
        description="Exercise 13, *Can I have a seat?*: reservations are jobs on queue `reserve_seat`, "
        "processed by a worker that `GET /process` starts; no seat is ever sold twice. "
        f"Jobs reserve with the `{chosen.value}` strategy.",
        lifespan=lifespan,
    )
    app.state.redis = runner
    app.state.strategy = chosen
    app.state.workers = side
    install_error_handlers(app)
    if hot_routes:
        app.hot_routes = HotRoutes(
            exact={"/available_seats": seats_reply, "/reserve_seat": reserve_reply, "/process": process_reply}
        )

    @app.get(
        "/available_seats",
        response_model=AvailableSeatsOut,
        responses={503: _UNAVAILABLE_DOC},
        summary="The seats left",
        response_description="The seats left, as a string",
        operation_id="available_seats",
    )
    async def available_seats() -> Response:
        return (await seats_reply()).response()

    @app.get(
        "/reserve_seat",
        status_code=202,
        response_model=ReservationInProcess,
        responses={
            409: {"model": ReservationsBlockedBody, "description": "Reservations are switched off"},
            503: {
                "model": ServiceUnavailable | ReservationFailedBody,
                "description": "Redis is down, slow or failing (or the job could not be saved); try again",
            },
        },
        summary="Ask for a seat: saves a reservation job",
        response_description="The job is saved; a worker will reserve the seat",
        operation_id="reserve_seat",
    )
    async def reserve_seat() -> Response:
        return (await reserve_reply()).response()

    @app.get(
        "/process",
        response_model=QueueProcessing,
        summary="Start processing the reservation jobs",
        response_description="This process's worker is running (started now, or already)",
        operation_id="process",
    )
    async def process() -> Response:
        return (await process_reply()).response()

    return app


async def _follow(processor: SeatProcessor, job_id: str) -> None:
    """Have the job's outcome logged (reading the events first if startup could not: in a thread)."""
    try:
        if not processor.listening:
            await anyio.to_thread.run_sync(processor.listen)
        processor.follow(job_id)
    except redis.exceptions.RedisError as exc:
        log.warning("job %s is saved, but its outcome will not be logged: %s", job_id, exc)


def serve_seats(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    redis_url: str | None = None,
    strategy: Strategy | str = Strategy.ATOMIC,
    *,
    io: ClientKind | str = ClientKind.ASYNC,
    concurrency: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    access_log: bool = False,
    workers: int = 1,
) -> int:
    """Run the seat service until Ctrl-C/SIGTERM (``queuesim serve seats``, exercise ``100-seat``).

    Redis is ``redis_url``, else ``REDIS_URL``, else the embedded store. Starting
    stores 50 seats only if no count is stored; ``queuesim reset seats`` resets.
    ``workers`` processes serve the port (more than one needs a Redis server);
    ``GET /process`` starts the worker of the process that answers it.

    Returns:
        the exit code: 0 after a clean stop.

    Raises:
        InvalidURL: a malformed URL.
        ValueError: ``workers`` out of range, or above 1 on the embedded store.
    """
    kind = ClientKind(io)
    check_workers(redis_url, workers)  # also fails on a bad URL now, not at the first request
    app = create_seats_app(
        lambda: server_client(redis_url, kind, timeout=timeout, multiplex=True),
        strategy,
        worker_source=lambda: server_client(redis_url, ClientKind.SYNC, timeout=max(timeout, WORKER_TIMEOUT)),
        concurrency=concurrency,
    )
    return serve(app, host, port, access_log=access_log, workers=workers)


def main(url: str | None = None) -> int:
    """Exercise ``100-seat``: serve the seat service on port 1245 until Ctrl-C or SIGTERM."""
    return serve_seats(redis_url=url)
