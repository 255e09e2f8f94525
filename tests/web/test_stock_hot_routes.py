"""The stock service's hot routes answer exactly as its FastAPI routes do, and ``--workers`` shares one port."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from webtools import Server, hammer_now

import queuesim.web.stock_app
from queuesim.cli import main
from queuesim.web.common import RedisRunner, ServiceApp
from queuesim.web.stock_app import create_stock_app

IDS = ["1", "2", "3", "4", "0", "5", "01", "003", "1abc", "-1", "+1", "%201", "1%20", "%D9%A1", "9" * 30, "x"]
PATHS = [
    "/list_products", "/list_products/", "/reserve_product", "/reserve_product/", "/", "/list_product",
    *(f"/list_products/{i}" for i in IDS), *(f"/reserve_product/{i}" for i in IDS),
    "/list_products/1/", "/reserve_product/1/", "/reserve_product/1/2", "/list_products/1/x",
]
# what a response is made of, as the client sees it (uvicorn adds date and server to both alike)
Seen = tuple[int, bytes, dict[str, str]]


def seen(response: httpx.Response) -> Seen:
    return response.status_code, response.content, dict(response.headers)


@pytest.fixture
def twin_apps(start_client: Callable[[Any], TestClient]) -> Callable[..., tuple[TestClient, TestClient]]:
    """Makes the same app twice, with and without hot routes, each on a fresh store of its own."""

    def make(**options: Any) -> tuple[TestClient, TestClient]:
        clients = []
        for hot in (True, False):
            server = fakeredis.FakeServer()
            app = create_stock_app(lambda server=server: fakeredis.FakeAsyncRedis(server=server, decode_responses=True),
                                   hot_routes=hot, **options)
            assert isinstance(app, ServiceApp)
            assert (app.hot_routes is not None) is hot
            clients.append(start_client(app))
        return clients[0], clients[1]

    return make


@pytest.mark.parametrize("strategy", ["atomic", "watch", "naive"])
def test_every_request_gets_the_same_answer_from_both_paths(
    twin_apps: Callable[..., tuple[TestClient, TestClient]], strategy: str
) -> None:
    hot, plain = twin_apps(strategy=strategy)
    requests = list(itertools.product(["GET", "HEAD", "POST"], PATHS)) * 3  # three rounds: stock runs out
    answers = [(seen(hot.request(m, p)), seen(plain.request(m, p))) for m, p in requests]
    for (method, path), (a, b) in zip(requests, answers, strict=True):
        assert a == b, f"{method} {path}"
    statuses = {a[0] for a, _ in answers}
    assert statuses == {200, 404, 405, 409}  # every kind of answer was compared


def test_redis_failures_and_crashes_answer_alike(
    twin_apps: Callable[..., tuple[TestClient, TestClient]], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hot, plain = twin_apps()

    async def down(self: RedisRunner, conversation: Any) -> Any:
        conversation.close()
        raise redis.exceptions.ConnectionError("gone")

    monkeypatch.setattr(RedisRunner, "run", down)
    for path in ["/list_products/1", "/reserve_product/2", "/list_products"]:
        assert seen(hot.get(path)) == seen(plain.get(path))
    assert hot.get("/reserve_product/1").headers["retry-after"] == "1"

    def boom(item_id: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queuesim.web.stock_app, "get_item_by_id", boom)
    caplog.set_level(logging.ERROR, "queuesim.web")
    caplog.clear()
    for client in (hot, plain):
        with pytest.raises(RuntimeError, match="secret internals"):  # raised again for the server to log
            client.get("/reserve_product/1")
    logged = [r.getMessage() for r in caplog.records if r.name == "queuesim.web" and r.levelno == logging.ERROR]
    assert logged == ["GET /reserve_product/1 failed"] * 2


def test_a_deadline_ends_a_slow_conversation_with_a_503(twin_apps: Callable[..., tuple[TestClient, TestClient]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    hot, plain = twin_apps(deadline=0.2)

    def slow(product: Any, *args: Any, **kwargs: Any) -> Any:
        from queuesim.drivers import Pause

        yield Pause(30)

    monkeypatch.setattr(queuesim.web.stock_app, "reserve", slow)
    for client in (hot, plain):
        response = client.get("/reserve_product/1")
        assert (response.status_code, response.json()["detail"]) == (503, "Redis did not answer in time")
    assert hot.get("/list_products/1").status_code == 200  # the deadline took back only its own cancellation


# ------------------------------------------------------------------------- --workers


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.fixture
def two_workers(store_url: str | None, r: redis.Redis) -> Iterator[Server]:
    if store_url is None:
        pytest.skip("several processes need a Redis server they share")
    server = Server("stock", store_url, "--workers", "2", ready_path="/list_products")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_two_worker_processes_share_the_port_and_never_oversell(
    two_workers: Server, r: redis.Redis, store_url: str
) -> None:
    assert len(children(two_workers.proc.pid)) == 2
    assert main(["reset", "stock", "--redis", store_url, "--quantity", "100", "--item", "1"]) == 0
    codes = hammer_now(f"{two_workers.base}/reserve_product/1", 300)
    assert codes == {200: 100, 409: 200}
    assert r.get("item.1") == "0"
    pids = children(two_workers.proc.pid)
    status, err = two_workers.stop()
    assert status == 0
    assert err.count("Application startup complete") == err.count("Application shutdown complete") == 2
    assert "Traceback" not in err
    assert [pid for pid in pids if os.path.exists(f"/proc/{pid}")] == []


@pytest.mark.slow
def test_a_worker_that_dies_stops_the_server_with_status_1(two_workers: Server) -> None:
    victim = children(two_workers.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    try:
        status = two_workers.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this test is for
        pytest.fail("the server kept running without one of its workers")
    assert status == 1
    assert "exited (status -9): stopping the others" in two_workers.stop()[1]


def test_several_workers_refuse_the_embedded_store(embedded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "stock", "--workers", "2"]) == 2
    assert "2 worker processes need a Redis server they all share" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "two", "65", "1.5"])
def test_bad_worker_counts_are_usage_errors(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "stock", "--workers", value])
    assert exit_.value.code == 2
    assert "--workers" in capsys.readouterr().err
