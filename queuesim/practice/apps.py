"""The web shells of tasks 12 and 13: queuesim's HTTP side around the learner's route functions.

A learner writes each route as a plain function that returns ``(status, body)``
(``route_reserve_product(client, item_id) -> (409, {...})``), and the
reservation logic as plain functions of a Redis client. The shell does the rest:
the FastAPI app, the compact JSON, the server on port 1245, and for the seat
service a :class:`SeatApp` holding the queue and the workers. So the same
functions are graded over HTTP, and can be run as simulated clients later.

A route that raises or returns something else than ``(status, body)`` answers
a JSON 500; the error is logged (with its traceback, for the learner's server)
and kept in ``app.state.errors`` (for the checks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from queuesim.queue import Job, Queue, Worker
from queuesim.seat_jobs import print_line

__all__ = ["SEAT_QUEUE", "RouteError", "SeatApp", "create_seats_app", "create_stock_app"]

log = logging.getLogger("queuesim.practice")

#: The queue of seat reservation jobs (the course's job type).
SEAT_QUEUE = "reserve_seat"
_INTERNAL_ERROR = {"status": "Internal server error"}


class RouteError(Exception):
    """A learner's route function failed: it raised, or returned something else than ``(status, body)``."""

    def __init__(self, route: str, message: str, error: BaseException | None = None) -> None:
        super().__init__(f"{route} {message}")
        self.route = route
        self.error = error


def _answer(app: FastAPI, route: str, func: Callable[..., Any] | None, *args: Any) -> JSONResponse:
    """Call the learner's ``route`` function and turn its ``(status, body)`` into a JSON response."""
    try:
        if func is None:
            raise RouteError(route, "is missing from the file")
        try:
            result = func(*args)
        except Exception as exc:
            raise RouteError(route, f"raised {type(exc).__name__}: {exc}", exc) from exc
        if not (isinstance(result, tuple) and len(result) == 2):
            raise RouteError(route, f"returned {result!r}, not (status, body)")
        status, body = result
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise RouteError(route, f"returned the status {status!r}, not an HTTP status code such as 200")
        try:
            return JSONResponse(body, status_code=status)
        except (TypeError, ValueError) as exc:
            raise RouteError(route, f"returned a body that is not JSON data: {exc}", exc) from exc
    except RouteError as exc:
        app.state.errors.append(exc)
        log.error("%s", exc, exc_info=exc.error)
        return JSONResponse(_INTERNAL_ERROR, status_code=500)


def _new_app(title: str, lifespan: Any = None) -> FastAPI:
    app = FastAPI(title=title, lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.errors = []
    return app


def create_stock_app(solution: Any, client: redis.Redis) -> FastAPI:
    """The stock service (task 12) over the learner's ``solution`` module, on ``client``.

    Routes: ``GET /list_products`` → ``solution.route_list_products(client)``,
    ``GET /list_products/<id>`` → ``solution.route_get_product(client, id)``,
    ``GET /reserve_product/<id>`` → ``solution.route_reserve_product(client, id)``;
    the id is passed as the text of the URL.
    """
    app = _new_app("practice: In stock?")

    @app.get("/list_products")
    def list_products() -> JSONResponse:
        return _answer(app, "route_list_products", getattr(solution, "route_list_products", None), client)

    @app.get("/list_products/{item_id}")
    def get_product(item_id: str) -> JSONResponse:
        return _answer(app, "route_get_product", getattr(solution, "route_get_product", None), client, item_id)

    @app.get("/reserve_product/{item_id}")
    def reserve_product(item_id: str) -> JSONResponse:
        route = getattr(solution, "route_reserve_product", None)
        return _answer(app, "route_reserve_product", route, client, item_id)

    return app


class SeatApp:
    """What the seat service's routes get: the Redis client, the reservation queue, its workers, the log.

    Args:
        client: the client the routes and the workers use.
        queue_client: the client the queue saves jobs with (default: ``client``).
        log: called with each line the service prints (default: print it).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        queue_client: redis.Redis | None = None,
        log: Callable[[str], None] = print_line,
    ) -> None:
        self.client = client
        #: The queue ``reserve_seat``: ``app.queue.create(data).save()`` saves a reservation job.
        self.queue = Queue(SEAT_QUEUE, redis=queue_client if queue_client is not None else client)
        #: The workers started by :meth:`start_worker`, in order.
        self.workers: list[Worker] = []
        self._threads: list[threading.Thread] = []
        self._log = log
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<SeatApp {len(self.workers)} workers>"

    def start_worker(self, handler: Callable[[Job], Any], concurrency: int = 1) -> Worker:
        """Start a worker running ``handler(job)`` on the queue's jobs, in this process, on threads.

        Each call starts one more worker (:attr:`workers` lists them); they stop when the service stops.
        """
        worker = Worker(self.queue, handler, concurrency=concurrency)
        thread = threading.Thread(target=self._run, args=(worker,), name="seat-worker", daemon=True)
        with self._lock:
            self.workers.append(worker)
            self._threads.append(thread)
        thread.start()
        return worker

    @staticmethod
    def _run(worker: Worker) -> None:
        try:
            worker.run(handle_signals=False)
        except Exception:
            log.exception("a seat reservation worker stopped")

    def log(self, line: str) -> None:
        """Print ``line`` in the service's log (``Seat reservation job 1 completed``)."""
        self._log(line)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (running jobs finish, for up to ``timeout`` s) and the queue's event listener."""
        with self._lock:
            workers, threads = list(self.workers), list(self._threads)
        for worker in workers:
            worker.stop(timeout)
        for thread in threads:
            thread.join(timeout + 5.0)
        self.queue.close()


def create_seats_app(solution: Any, seats: SeatApp) -> FastAPI:
    """The seat service (task 13) over the learner's ``solution`` module and ``seats``.

    At start it calls ``solution.initialize(seats.client)``; routes:
    ``GET /available_seats`` → ``solution.route_available_seats(seats)``,
    ``GET /reserve_seat`` → ``solution.route_reserve_seat(seats)``,
    ``GET /process`` → ``solution.route_process(seats)``. At shutdown the workers stop.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        initialize = getattr(solution, "initialize", None)
        try:
            if initialize is None:
                raise RouteError("initialize", "is missing from the file")
            try:
                initialize(seats.client)
            except Exception as exc:
                raise RouteError("initialize", f"raised {type(exc).__name__}: {exc}", exc) from exc
        except RouteError as exc:
            app.state.errors.append(exc)
            log.error("%s", exc, exc_info=exc.error)
        try:
            yield
        finally:
            seats.close()

    app = _new_app("practice: Can I have a seat?", lifespan)
    app.state.seats = seats

    @app.get("/available_seats")
    def available_seats() -> JSONResponse:
        return _answer(app, "route_available_seats", getattr(solution, "route_available_seats", None), seats)

    @app.get("/reserve_seat")
    def reserve_seat() -> JSONResponse:
        return _answer(app, "route_reserve_seat", getattr(solution, "route_reserve_seat", None), seats)

    @app.get("/process")
    def process() -> JSONResponse:
        return _answer(app, "route_process", getattr(solution, "route_process", None), seats)

    return app
