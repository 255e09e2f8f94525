"""The seat service's hot routes answer exactly as its FastAPI routes do."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import fakeredis
import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from queuesim.queue import Queue
from queuesim.seat_jobs import QUEUE_NAME
from queuesim.seats import SeatService
from queuesim.web.common import RedisRunner, ServiceApp
from queuesim.web.seats_app import create_seats_app

PATHS = ["/available_seats", "/reserve_seat", "/available_seats/", "/reserve_seat/1", "/", "/reserve_seats"]


def seen(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    return response.status_code, response.content, dict(response.headers)


@pytest.fixture
def twins(start_client: Callable[[Any], TestClient]) -> list[tuple[TestClient, redis.Redis]]:
    """The seat app with and without hot routes, each on a fresh store of its own, and a client on that store."""
    out = []
    for hot in (True, False):
        server = fakeredis.FakeServer()
        store = fakeredis.FakeRedis(server=server, decode_responses=True)
        app = create_seats_app(lambda server=server: fakeredis.FakeAsyncRedis(server=server, decode_responses=True),
                               worker_source=store, report=lambda line: None, hot_routes=hot)
        assert isinstance(app, ServiceApp)
        assert (app.hot_routes is not None) is hot
        out.append((start_client(app), store))
    return out


def test_every_request_gets_the_same_answer_from_both_paths(twins: list[tuple[TestClient, redis.Redis]]) -> None:
    requests = list(itertools.product(["GET", "HEAD", "POST"], PATHS))
    answers: list[list[tuple[int, bytes, dict[str, str]]]] = [[], []]
    for side, (client, store) in enumerate(twins):
        for method, path in requests:
            answers[side].append(seen(client.request(method, path)))
        SeatService(store).reset(0)  # reservations off: "blocked"
        answers[side] += [seen(client.get("/reserve_seat")), seen(client.get("/available_seats"))]
        assert Queue(QUEUE_NAME, redis=store).counts()["inactive"] == 1  # one GET /reserve_seat was accepted
    assert answers[0] == answers[1]
    assert {a[0] for a in answers[0]} == {200, 202, 404, 405, 409}
    assert [seen(client.get("/process"))[:2] for client, _ in twins] == [(200, b'{"status":"Queue processing"}')] * 2


def test_a_job_that_could_not_be_saved_and_redis_down_answer_alike(
    twins: list[tuple[TestClient, redis.Redis]], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    run = RedisRunner.run

    async def second_fails(self: RedisRunner, conversation: Any) -> Any:
        calls["n"] += 1
        if calls["n"] % 2 == 0:  # the switch is read, saving the job fails
            conversation.close()
            raise redis.exceptions.ConnectionError("gone")
        return await run(self, conversation)

    monkeypatch.setattr(RedisRunner, "run", second_fails)
    failed = [seen(client.get("/reserve_seat")) for client, _ in twins]
    assert failed[0] == failed[1]
    assert failed[0][:2] == (503, b'{"status":"Reservation failed"}')
    assert failed[0][2]["retry-after"] == "1"

    async def down(self: RedisRunner, conversation: Any) -> Any:
        conversation.close()
        raise TimeoutError

    monkeypatch.setattr(RedisRunner, "run", down)
    slow = [seen(client.get("/available_seats")) for client, _ in twins]
    assert slow[0] == slow[1]
    assert slow[0][:2] == (503, b'{"status":"Service unavailable","detail":"Redis did not answer in time"}')
