"""The seat service over HTTP (SPEC §13), through the test client, on both kinds of Redis client."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any

import fakeredis
import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from webtools import TcpProxy, app_of, closed_port, wait_until, worker_threads

import queuesim.web.seats_app
from queuesim.queue import Queue
from queuesim.seat_jobs import QUEUE_NAME, SeatProcessor
from queuesim.seats import SEATS_KEY, SWITCH_KEY
from queuesim.web.clients import server_client
from queuesim.web.seats_app import create_seats_app

BLOCKED = b'{"status":"Reservation are blocked"}'
IN_PROCESS = b'{"status":"Reservation in process"}'
FAILED = b'{"status":"Reservation failed"}'
PROCESSING = b'{"status":"Queue processing"}'


@pytest.fixture
def lines() -> list[str]:
    """The server's log lines (what it would print)."""
    return []


@pytest.fixture
def make_seats(
    source: Any, r: redis.Redis, io: str, start_client: Callable[[FastAPI], TestClient], lines: list[str]
) -> Callable[..., TestClient]:
    """Makes a started test client of a seat app on this test's store: ``make_seats(strategy=..., ...)``."""

    def make(**options: Any) -> TestClient:
        worker = r if io == "async" else None  # an asyncio app needs a sync client for its worker
        return start_client(create_seats_app(source, worker_source=worker, report=lines.append, **options))

    return make


@pytest.fixture
def api(make_seats: Callable[..., TestClient]) -> TestClient:
    """A started test client of the default (atomic) seat app."""
    return make_seats()


def jobs(r: redis.Redis) -> dict[str, int]:
    return Queue(QUEUE_NAME, redis=r).counts()


def test_available_seats_is_50_as_a_string(api: TestClient, r: redis.Redis) -> None:
    response = api.get("/available_seats")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"numberOfAvailableSeats":"50"}'
    assert r.get(SEATS_KEY) == "50"  # stored at the first start


def test_starting_keeps_the_stored_count_and_switch(make_seats: Any, r: redis.Redis) -> None:
    r.set(SEATS_KEY, 0)
    r.set(SWITCH_KEY, "0")
    api = make_seats()
    assert api.get("/available_seats").content == b'{"numberOfAvailableSeats":"0"}'
    assert (api.get("/reserve_seat").status_code, r.get(SEATS_KEY)) == (409, "0")


def test_reserve_seat_answers_once_the_job_is_saved(api: TestClient, r: redis.Redis) -> None:
    response = api.get("/reserve_seat")
    assert (response.status_code, response.content) == (202, IN_PROCESS)
    assert jobs(r)["inactive"] == 1  # saved before the answer, nothing processed yet
    assert Queue(QUEUE_NAME, redis=r).get_job(1).data == {}
    assert r.get(SEATS_KEY) == "50"


def test_reservations_off_are_blocked_and_save_nothing(api: TestClient, r: redis.Redis) -> None:
    r.set(SWITCH_KEY, "0")
    response = api.get("/reserve_seat")
    assert (response.status_code, response.content) == (409, BLOCKED)
    assert jobs(r)["inactive"] == 0


def test_the_whole_story(api: TestClient, r: redis.Redis, lines: list[str]) -> None:
    """3 seats, 5 requests, then /process (twice): 3 jobs complete, 2 fail, reservations end blocked."""
    r.set(SEATS_KEY, 3)
    assert [api.get("/reserve_seat").content for _ in range(5)] == [IN_PROCESS] * 5
    assert r.get(SEATS_KEY) == "3"  # nothing is reserved before processing
    for _ in range(3):
        response = api.get("/process")
        assert (response.status_code, response.content) == (200, PROCESSING)
    assert worker_threads() == 1  # no worker per call
    wait_until(lambda: len(lines) == 5)
    assert sorted(lines) == [
        "Seat reservation job 1 completed",
        "Seat reservation job 2 completed",
        "Seat reservation job 3 completed",
        "Seat reservation job 4 failed: Not enough seats available",
        "Seat reservation job 5 failed: Not enough seats available",
    ]
    assert api.get("/available_seats").content == b'{"numberOfAvailableSeats":"0"}'
    assert api.get("/reserve_seat").content == BLOCKED
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")
    assert jobs(r) == {"inactive": 0, "active": 0, "complete": 3, "failed": 2, "delayed": 0}


def test_processing_picks_up_later_reservations(api: TestClient, lines: list[str]) -> None:
    assert api.get("/process").status_code == 200
    assert api.get("/reserve_seat").status_code == 202
    wait_until(lambda: lines == ["Seat reservation job 1 completed"])
    assert api.get("/available_seats").json() == {"numberOfAvailableSeats": "49"}


@pytest.mark.parametrize("error", [redis.ConnectionError("lost"), redis.TimeoutError("slow"), TimeoutError()])
def test_a_failed_save_is_reservation_failed(
    api: TestClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def failing(now: int) -> Generator[Any, Any, Any]:
        yield ("PING",)
        raise error

    monkeypatch.setattr(queuesim.web.seats_app, "enqueue_reservation", failing)
    response = api.get("/reserve_seat")
    assert (response.status_code, response.content) == (503, FAILED)
    assert response.headers["retry-after"] == "1"
    assert jobs(r)["inactive"] == 0


def test_a_job_whose_outcome_cannot_be_followed_is_still_in_process(
    make_seats: Any, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    def listen(self: SeatProcessor) -> None:
        raise redis.ConnectionError("lost")

    monkeypatch.setattr(SeatProcessor, "listen", listen)
    api = make_seats()  # startup could not listen either
    assert api.get("/reserve_seat").content == IN_PROCESS
    assert jobs(r)["inactive"] == 1


def test_redis_down_is_a_503_then_service_resumes(
    backend: str, api: TestClient, r: redis.Redis, lines: list[str]
) -> None:
    if backend != "fake":
        pytest.skip("the fake server's switch; real Redis is cut through a proxy below")
    server = r.connection_pool.connection_kwargs["server"]
    assert api.get("/reserve_seat").status_code == 202
    server.connected = False
    for path in ["/available_seats", "/reserve_seat"]:
        response = api.get(path)
        assert response.status_code == 503
        assert response.json() == {"status": "Service unavailable", "detail": "Redis is not reachable"}
        assert response.headers["retry-after"] == "1"
    assert api.get("/process").content == PROCESSING  # the worker starts, and waits for Redis
    server.connected = True
    wait_until(lambda: lines == ["Seat reservation job 1 completed"])
    assert api.get("/reserve_seat").status_code == 202
    wait_until(lambda: len(lines) == 2)
    assert api.get("/available_seats").json()["numberOfAvailableSeats"] == "48"


def test_a_closed_port_is_a_quick_503(io: str) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    app = create_seats_app(lambda: server_client(url, io), worker_source=lambda: server_client(url, "sync"))
    with TestClient(app) as api:  # startup does not fail: a missing count means 50 seats
        started = time.monotonic()
        responses = [api.get(path) for path in ["/available_seats", "/reserve_seat"]]
        elapsed = time.monotonic() - started
    assert [x.status_code for x in responses] == [503, 503]
    assert {x.json()["detail"] for x in responses} == {"Redis is not reachable"}
    assert elapsed < 5


def test_a_stalled_redis_is_a_503_within_the_timeouts(io: str, proxy: TcpProxy) -> None:
    proxy.stall()
    app = create_seats_app(
        lambda: server_client(proxy.url, io, timeout=0.3),
        worker_source=lambda: server_client(proxy.url, "sync", timeout=0.3),
        deadline=2.0,
    )
    with TestClient(app) as api:
        started = time.monotonic()
        response = api.get("/reserve_seat")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"] == "Redis did not answer in time"
    assert elapsed < 2.5


def test_redis_cut_over_a_real_socket_then_back(io: str, proxy: TcpProxy, lines: list[str]) -> None:
    app = create_seats_app(
        lambda: server_client(proxy.url, io, timeout=0.5),
        worker_source=lambda: server_client(proxy.url, "sync"),  # its blocking reads wait 0.5 s
        report=lines.append,
    )
    with TestClient(app) as api:
        assert api.get("/reserve_seat").status_code == 202
        proxy.cut()
        assert [api.get("/reserve_seat").status_code for _ in range(3)] == [503] * 3
        proxy.restore()
        assert api.get("/reserve_seat").status_code == 202  # the client reconnects by itself
        assert api.get("/process").status_code == 200
        wait_until(lambda: len(lines) == 2)
        assert api.get("/available_seats").json() == {"numberOfAvailableSeats": "48"}
    assert lines == ["Seat reservation job 1 completed", "Seat reservation job 2 completed"]


@pytest.mark.parametrize("path", ["/", "/available_seat", "/reserve_seat/1", "/process/now", "/list_products"])
def test_unknown_routes_are_a_json_404(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/available_seats", "/reserve_seat", "/process"])
def test_wrong_methods_are_a_json_405(api: TestClient, r: redis.Redis, method: str, path: str) -> None:
    response = api.request(method, path)
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert jobs(r)["inactive"] == 0
    assert worker_threads() == 0


def test_an_unexpected_error_is_a_json_500_without_details(
    source: Any, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queuesim.web.seats_app, "reservation_enabled", boom)
    with TestClient(create_seats_app(source, worker_source=r), raise_server_exceptions=False) as api:
        response = api.get("/reserve_seat")
    assert (response.status_code, response.content) == (500, b'{"status":"Internal server error"}')


@pytest.mark.parametrize(("strategy", "think"), [("atomic", 0.0), ("watch", 0.002), ("naive", 0.002)])
def test_concurrent_requests_and_workers_in_one_process(
    source: Any, r: redis.Redis, io: str, strategy: str, think: float
) -> None:
    """60 requests at once through the ASGI app, then a worker with 8 threads: exactly 10 seats go."""
    r.set(SEATS_KEY, 10)
    lines: list[str] = []
    app = create_seats_app(
        source, strategy, think=think, concurrency=8, worker_source=r if io == "async" else None, report=lines.append
    )

    async def go() -> Counter[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                replies = await asyncio.gather(*(client.get("/reserve_seat") for _ in range(60)))
                assert (await client.get("/process")).status_code == 200
                await asyncio.to_thread(wait_until, lambda: len(lines) == 60)
        return Counter(x.status_code for x in replies)

    assert asyncio.run(go()) == {202: 60}
    completed = sum(line.endswith("completed") for line in lines)
    left = int(r.get(SEATS_KEY) or 0)
    assert left >= 0
    if strategy == "naive":
        assert completed >= 10  # and usually more: seats sold twice (the count, and the switch, mean nothing)
    else:
        assert completed == 10
        assert (left, r.get(SWITCH_KEY)) == (0, "0")


def test_the_schema_describes_every_route_and_response(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    assert sorted(paths) == ["/available_seats", "/process", "/reserve_seat"]
    codes = {path: sorted(op["get"]["responses"]) for path, op in paths.items()}
    assert codes == {
        "/available_seats": ["200", "503"],
        "/process": ["200"],
        "/reserve_seat": ["202", "409", "503"],
    }
    assert all(list(op) == ["get"] for op in paths.values())
    models = schema["components"]["schemas"]
    assert list(models["AvailableSeatsOut"]["properties"]) == ["numberOfAvailableSeats"]
    assert models["AvailableSeatsOut"]["properties"]["numberOfAvailableSeats"]["type"] == "string"
    assert models["ReservationsBlockedBody"]["properties"]["status"]["const"] == "Reservation are blocked"
    failed = paths["/reserve_seat"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert failed["anyOf"] == [
        {"$ref": "#/components/schemas/ServiceUnavailable"},
        {"$ref": "#/components/schemas/ReservationFailedBody"},
    ]
    assert "HTTPValidationError" not in models


def test_shutdown_stops_the_worker_and_closes_what_the_app_made(r: redis.Redis) -> None:
    server = r.connection_pool.connection_kwargs.get("server") or fakeredis.FakeServer()
    made: list[Any] = []

    class Tracked(fakeredis.FakeRedis):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    def factory() -> Any:
        made.append(Tracked(server=server, decode_responses=True))
        return made[-1]

    with TestClient(create_seats_app(factory, worker_source=factory, report=lambda line: None)) as api:
        assert api.get("/process").status_code == 200
        assert worker_threads() == 1
        assert repr(app_of(api).state.workers.processor) == "<SeatProcessor atomic processing>"
    assert worker_threads() == 0
    assert len(made) == 2
    assert all(client.closed for client in made)


def test_without_a_lifespan_the_worker_side_starts_on_first_use(r: redis.Redis, lines: list[str]) -> None:
    app = create_seats_app(r, report=lines.append)
    api = TestClient(app)  # not entered: no startup, no shutdown
    try:
        assert api.get("/reserve_seat").status_code == 202
        assert api.get("/process").status_code == 200
        wait_until(lambda: lines == ["Seat reservation job 1 completed"])
    finally:
        app.state.workers.close()
    assert worker_threads() == 0


def test_bad_arguments_fail_at_creation(r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="unknown seat strategy 'lua'"):
        create_seats_app(r, "lua")
    with pytest.raises(ValueError, match="Pause seconds"):
        create_seats_app(r, "naive", think=-1)
    with pytest.raises(ValueError, match="concurrency"):
        create_seats_app(r, concurrency=0)
    with pytest.raises(ValueError, match="deadline"):
        create_seats_app(r, deadline=0)
    with pytest.raises(TypeError, match="the seat worker needs a synchronous client: pass worker_source="):
        create_seats_app(fakeredis.FakeAsyncRedis())
    with pytest.raises(TypeError, match=r"worker_source must be a redis\.Redis or a callable"):
        create_seats_app(r, worker_source="redis://localhost")  # type: ignore[arg-type]
