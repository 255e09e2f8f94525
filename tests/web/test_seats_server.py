"""``queuesim serve seats`` over a real socket, and the ``serve seats``/``reset seats`` command lines."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import fakeredis
import httpx
import pytest
import redis
from webtools import Server, free_port, hammer_now, wait_until

from queuesim.cli import main
from queuesim.queue import Queue
from queuesim.seat_jobs import QUEUE_NAME
from queuesim.seats import SEATS_KEY, SWITCH_KEY
from queuesim.web.seats_app import serve_seats

REQUESTS = 250
SEATS = 50


@pytest.fixture
def start(store_url: str | None) -> Iterator[Any]:
    servers: list[Server] = []

    def make(*options: str) -> Server:
        server = Server("seats", store_url, *options, ready_path="/available_seats")
        servers.append(server)
        server.wait_ready()
        return server

    yield make
    for server in servers:
        server.stop()


def job_ids(lines: list[str], pattern: str) -> list[int]:
    """The job ids of the lines that match ``pattern`` (its group 1), in order."""
    return sorted(int(m[1]) for line in lines if (m := re.fullmatch(pattern, line)))


@pytest.mark.slow
@pytest.mark.parametrize("io", ["async", "sync"])
def test_concurrent_reservations_then_processing_over_a_socket(
    start: Any, r: redis.Redis, store_url: str | None, io: str
) -> None:
    server = start("--io", io)
    codes = hammer_now(f"{server.base}/reserve_seat", REQUESTS)
    assert codes == {202: REQUESTS}, server.errors()  # every job saved, no 5xx
    assert httpx.get(f"{server.base}/available_seats").json() == {"numberOfAvailableSeats": str(SEATS)}
    assert hammer_now(f"{server.base}/process", 8) == {200: 8}  # at once, and again below: one worker
    wait_until(lambda: len(server.lines()) == REQUESTS, timeout=60)
    assert httpx.get(f"{server.base}/process").json() == {"status": "Queue processing"}
    lines = server.lines()
    completed = job_ids(lines, r"Seat reservation job (\d+) completed")
    failed = job_ids(lines, r"Seat reservation job (\d+) failed: Not enough seats available")
    assert completed == list(range(1, SEATS + 1))  # one worker, first in first out
    assert failed == list(range(SEATS + 1, REQUESTS + 1))
    assert httpx.get(f"{server.base}/available_seats").content == b'{"numberOfAvailableSeats":"0"}'
    blocked = httpx.get(f"{server.base}/reserve_seat")
    assert (blocked.status_code, blocked.content) == (409, b'{"status":"Reservation are blocked"}')
    if store_url is not None:
        assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")
        counts = Queue(QUEUE_NAME, redis=r).counts()
        assert (counts["complete"], counts["failed"], counts["inactive"]) == (SEATS, REQUESTS - SEATS, 0)
    status, err = server.stop()
    assert status == 0
    assert "Traceback" not in err
    assert "Application shutdown complete" in err


def test_sigterm_while_processing_exits_0(start: Any) -> None:
    server = start("--strategy", "watch", "--concurrency", "4")
    assert hammer_now(f"{server.base}/reserve_seat", 40) == {202: 40}
    assert httpx.get(f"{server.base}/process").status_code == 200
    status, err = server.stop()  # jobs may be running: they finish or go back to inactive
    assert status == 0
    assert "Traceback" not in err


def test_a_restart_keeps_the_seats_and_the_switch(start: Any, r: redis.Redis, store_url: str | None) -> None:
    if store_url is None:
        pytest.skip("an embedded store starts empty in the server process")
    r.set(SEATS_KEY, 3)
    r.set(SWITCH_KEY, "0")
    server = start()
    assert httpx.get(f"{server.base}/available_seats").json() == {"numberOfAvailableSeats": "3"}
    assert httpx.get(f"{server.base}/reserve_seat").status_code == 409
    assert server.stop()[0] == 0
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("3", "0")


def test_serve_refuses_a_bad_url_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "seats", "--redis", "http://localhost:6379"]) == 2
    assert "must start with redis://" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "seats", "--strategy", "lua"],
        ["serve", "seats", "--port", "-1"],
        ["serve", "seats", "--concurrency", "0"],
        ["serve", "seats", "--concurrency", "many"],
        ["serve", "seats", "--io", "threads"],
        ["reset", "seats", "--seats", "-1"],
        ["reset", "seats", "--seats", "lots"],
    ],
)
def test_bad_command_lines_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: queuesim" in capsys.readouterr().err


def test_a_busy_port_fails_to_start(embedded: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert serve_seats(port=busy.getsockname()[1]) == 1


def test_reset_seats(backend: str, connected: Any, r: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    if backend == "fake":  # connect() reaches a fresh embedded store: look there
        r = fakeredis.FakeRedis(server=connected, decode_responses=True)
    r.set(SEATS_KEY, 0)
    r.set(SWITCH_KEY, "0")
    assert main(["reset", "seats"]) == 0
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("50", "1")
    assert capsys.readouterr().out.splitlines()[1:3] == [
        "  available_seats: 50",
        "  reservation_enabled: 1 (reservations on)",
    ]
    assert main(["reset", "seats", "--seats", "0"]) == 0
    assert (r.get(SEATS_KEY), r.get(SWITCH_KEY)) == ("0", "0")
    assert "reservation_enabled: 0 (reservations off)" in capsys.readouterr().out


def test_reset_seats_without_redis(embedded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reset", "seats", "--redis", f"redis://127.0.0.1:{free_port()}/0"]) == 1
    assert "no Redis server answered" in capsys.readouterr().err
    assert main(["reset", "seats", "--redis", "http://x"]) == 2


def test_exercise_100_seat_serves_the_seat_app_on_port_1245(monkeypatch: pytest.MonkeyPatch) -> None:
    import queuesim.web.seats_app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(queuesim.web.seats_app, "serve", lambda app, host, port, **kw: calls.append(locals()) or 0)
    assert main(["exercise", "100-seat"]) == 0
    assert [(c["host"], c["port"]) for c in calls] == [("127.0.0.1", 1245)]
    assert calls[0]["app"].state.strategy == "atomic"
