"""``queuesim serve stock`` over a real socket, and the ``serve``/``reset`` command lines."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import fakeredis
import httpx
import pytest
import redis
from webtools import Server, free_port, hammer_now

from queuesim.cli import main
from queuesim.web.stock_app import serve_stock

REQUESTS = 250


@pytest.fixture
def start(store_url: str | None) -> Iterator[Any]:
    servers: list[Server] = []

    def make(*options: str) -> Server:
        server = Server("stock", store_url, *options, ready_path="/list_products")
        servers.append(server)
        server.wait_ready()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("io", ["async", "sync"])
def test_concurrent_reservations_over_a_socket_confirm_exactly_the_stock(
    start: Any, r: redis.Redis, store_url: str | None, io: str
) -> None:
    stock = 4
    if store_url is not None:  # the real server: give item 1 more stock, to sell more under contention
        stock = 120
        assert main(["reset", "stock", "--redis", store_url, "--quantity", str(stock), "--item", "1"]) == 0
    server = start("--io", io)
    codes = hammer_now(f"{server.base}/reserve_product/1", REQUESTS)
    assert codes == {200: stock, 409: REQUESTS - stock}  # no 5xx
    assert httpx.get(f"{server.base}/list_products/1").json()["currentQuantity"] == 0
    if store_url is not None:
        assert r.get("item.1") == "0"
    status, err = server.stop()
    assert status == 0
    assert "Traceback" not in err
    assert "Application shutdown complete" in err


def test_starting_a_server_keeps_the_stored_stock(start: Any, r: redis.Redis, store_url: str | None) -> None:
    if store_url is None:
        pytest.skip("an embedded store starts empty in the server process")
    r.set("item.2", 3)
    server = start()
    assert httpx.get(f"{server.base}/list_products/2").json()["currentQuantity"] == 3
    assert server.stop()[0] == 0


def test_a_server_on_the_embedded_store_says_it_is_alone_with_it(start: Any, store_url: str | None) -> None:
    server = start()
    status, err = server.stop()
    assert status == 0
    hinted = "hint: serve stock is using the embedded store" in err
    assert hinted == (store_url is None)  # only when no URL names a shared server


def test_serve_refuses_a_bad_url_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "stock", "--redis", "http://localhost:6379"]) == 2
    assert "must start with redis://" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["serve"],
        ["serve", "stock", "--strategy", "lua"],
        ["serve", "stock", "--port", "70000"],
        ["serve", "stock", "--io", "threads"],
        ["reset"],
        ["reset", "stock", "--quantity", "-1"],
        ["reset", "stock", "--quantity", "lots"],
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
        assert serve_stock(port=busy.getsockname()[1]) == 1


def test_reset_stock(
    backend: str, connected: Any, r: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend == "fake":  # connect() reaches a fresh embedded store: look there
        r = fakeredis.FakeRedis(server=connected, decode_responses=True)
    r.set("item.1", 0)
    r.set("item.3", 1)
    assert main(["reset", "stock", "--quantity", "9", "--item", "2"]) == 0
    assert (r.get("item.1"), r.get("item.2"), r.get("item.3")) == ("0", "9", "1")
    assert "item.2 Suitcase 450: 9" in capsys.readouterr().out
    assert main(["reset", "stock"]) == 0
    assert r.keys("item.*") == []
    out = capsys.readouterr().out
    assert out.splitlines()[1:5] == [
        "  item.1 Suitcase 250: 4",
        "  item.2 Suitcase 450: 10",
        "  item.3 Suitcase 650: 2",
        "  item.4 Suitcase 1050: 5",
    ]


def test_reset_stock_errors(embedded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reset", "stock", "--item", "1abc"]) == 2
    assert "no product has id '1abc'" in capsys.readouterr().err
    assert main(["reset", "stock", "--redis", f"redis://127.0.0.1:{free_port()}/0"]) == 1
    assert "no Redis server answered" in capsys.readouterr().err


def test_exercise_9_stock_serves_the_stock_app_on_port_1245(monkeypatch: pytest.MonkeyPatch) -> None:
    import queuesim.web.stock_app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(queuesim.web.stock_app, "serve", lambda app, host, port, **kw: calls.append(locals()) or 0)
    assert main(["exercise", "9-stock"]) == 0
    assert [(c["host"], c["port"]) for c in calls] == [("127.0.0.1", 1245)]
    assert calls[0]["app"].state.strategy == "atomic"
