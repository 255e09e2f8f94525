"""The seat app against its OpenAPI schema (schemathesis) and against a model of seats and jobs (hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuesim.queue import Queue, Worker
from queuesim.seat_jobs import QUEUE_NAME, reservation_handler
from queuesim.seats import SEATS_KEY, SeatService
from queuesim.web.seats_app import create_seats_app


def test_every_response_conforms_to_the_schema(r: redis.Redis) -> None:
    """Schemathesis makes requests from the schema; every reply must be documented and valid, never 5xx."""
    r.set(SEATS_KEY, 2)
    app = create_seats_app(r, report=lambda line: None)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: dict[int, int] = {}

    @given(case=schema.as_strategy())
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any) -> None:
        response = case.call_and_validate()  # status code, content type and body against the schema
        assert response.status_code < 500
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    try:
        check()
    finally:
        app.state.workers.close()  # /process started a worker: stop it
    assert {200, 202} <= set(seen)


ACTIONS = st.lists(
    st.one_of(
        st.just(("reserve",)),
        st.just(("available",)),
        st.just(("work",)),
        st.tuples(st.just("reset"), st.integers(0, 3)),
        st.tuples(st.just("switch"), st.booleans()),
    ),
    max_size=30,
)


@pytest.fixture
def api(r: redis.Redis) -> Iterator[TestClient]:
    """One started app for every example (its state is all in Redis, flushed per example)."""
    with TestClient(create_seats_app(r, report=lambda line: None)) as client:
        yield client


@given(actions=ACTIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_app_matches_a_model_of_seats_and_jobs(
    r: redis.Redis, api: TestClient, actions: list[tuple[Any, ...]]
) -> None:
    """Any sequence of requests, resets, switch flips and worker bursts: each reply is what the model says.

    The model: ``seats`` left, the switch, and the reservation jobs waiting. A burst
    of the worker (``work``) runs the waiting jobs in order: each takes a seat while
    one is left (the last one switches reservations off), else fails.
    """
    r.flushdb()
    seats, enabled, waiting, outcomes = 2, True, 0, {"complete": 0, "failed": 0}
    service = SeatService(r)
    service.reset(seats)
    queue = Queue(QUEUE_NAME, redis=r)
    worker = Worker(queue, reservation_handler())
    for action in actions:
        if action[0] == "reserve":
            response = api.get("/reserve_seat")
            if enabled:
                assert (response.status_code, response.json()) == (202, {"status": "Reservation in process"})
                waiting += 1
            else:
                assert (response.status_code, response.json()) == (409, {"status": "Reservation are blocked"})
        elif action[0] == "available":
            assert api.get("/available_seats").json() == {"numberOfAvailableSeats": str(seats)}
        elif action[0] == "work":
            worker.run(burst=True)
            for _ in range(waiting):
                if seats > 0:
                    seats -= 1
                    outcomes["complete"] += 1
                else:
                    outcomes["failed"] += 1
                enabled = enabled and seats > 0
            waiting = 0
        elif action[0] == "reset":
            service.reset(action[1])
            seats, enabled = action[1], action[1] > 0
        else:
            service.set_reservation_enabled(action[1])
            enabled = action[1]
    counts = queue.counts()
    assert (counts["inactive"], counts["complete"], counts["failed"]) == (waiting, *outcomes.values())
    assert service.available_seats() == seats
    assert service.reservation_enabled() is enabled
