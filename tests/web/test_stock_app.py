"""The stock service over HTTP (SPEC §12), through the test client, on both kinds of Redis client."""

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
from fastapi.testclient import TestClient
from webtools import TcpProxy, app_of, closed_port

import queuesim.web.stock_app
from queuesim.stock import Reservation, ReservationStatus
from queuesim.web.clients import server_client
from queuesim.web.common import RedisRunner
from queuesim.web.stock_app import create_stock_app

LISTING = (
    b'[{"itemId":1,"itemName":"Suitcase 250","price":50,"initialAvailableQuantity":4},'
    b'{"itemId":2,"itemName":"Suitcase 450","price":100,"initialAvailableQuantity":10},'
    b'{"itemId":3,"itemName":"Suitcase 650","price":350,"initialAvailableQuantity":2},'
    b'{"itemId":4,"itemName":"Suitcase 1050","price":550,"initialAvailableQuantity":5}]'
)
NOT_FOUND = b'{"status":"Product not found"}'
BAD_IDS = ["1abc", "abc", "-1", "0", "5", "01x", "1.0", "+1", "%201", "1%20", "%D9%A1", "9" * 30, "9" * 5000]


def test_list_products_is_exactly_the_spec_body(api: TestClient) -> None:
    response = api.get("/list_products")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == LISTING


def test_one_product_with_its_current_quantity(api: TestClient, r: redis.Redis) -> None:
    response = api.get("/list_products/2")
    assert response.status_code == 200
    assert response.content == (
        b'{"itemId":2,"itemName":"Suitcase 450","price":100,"initialAvailableQuantity":10,'
        b'"currentQuantity":10}'
    )
    assert r.keys("item.*") == []  # reading wrote nothing


@pytest.mark.parametrize("strategy", ["atomic", "watch", "naive"])
def test_reserve_until_sold_out(make_api: Callable[..., TestClient], r: redis.Redis, strategy: str) -> None:
    api = make_api(strategy=strategy)
    replies = [api.get("/reserve_product/3") for _ in range(3)]
    assert [x.status_code for x in replies] == [200, 200, 409]
    assert [x.content for x in replies] == [
        b'{"status":"Reservation confirmed","itemId":3}',
        b'{"status":"Reservation confirmed","itemId":3}',
        b'{"status":"Not enough stock available","itemId":3}',
    ]
    # 0 left shows 0, not the initial stock (the original's falsy-zero bug)
    assert api.get("/list_products/3").json()["currentQuantity"] == 0
    assert r.get("item.3") == "0"
    assert api.get("/list_products/1").json()["currentQuantity"] == 4


@pytest.mark.parametrize("route", ["list_products", "reserve_product"])
@pytest.mark.parametrize("item_id", BAD_IDS)
def test_anything_but_a_product_id_is_not_found(
    api: TestClient, r: redis.Redis, route: str, item_id: str
) -> None:
    response = api.get(f"/{route}/{item_id}")
    assert (response.status_code, response.content) == (404, NOT_FOUND)
    assert r.keys("*") == []


@pytest.mark.parametrize(
    "path", ["/", "/list_product", "/list_products/1/2", "/reserve_product", "/reserve_seat"]
)
def test_unknown_routes_are_a_json_404(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/list_products", "/list_products/1", "/reserve_product/1"])
def test_wrong_methods_are_a_json_405(api: TestClient, r: redis.Redis, method: str, path: str) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert r.keys("*") == []


def test_an_unexpected_error_is_a_json_500_without_details(
    source: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(item_id: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queuesim.web.stock_app, "get_item_by_id", boom)
    with TestClient(create_stock_app(source), raise_server_exceptions=False) as api:
        response = api.get("/reserve_product/1")
    assert (response.status_code, response.content) == (500, b'{"status":"Internal server error"}')


def test_watch_giving_up_is_a_503(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def contended(product: Any, *args: Any, **kwargs: Any) -> Generator[Any, Any, Reservation]:
        yield ("GET", "item.1")
        return Reservation(ReservationStatus.CONTENDED, product.item_id, None, 100)

    monkeypatch.setattr(queuesim.web.stock_app, "reserve", contended)
    response = api.get("/reserve_product/1")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "status": "Service unavailable",
        "detail": "too many concurrent reservations of item 1; try again",
    }


def test_redis_down_is_a_503_then_service_resumes(backend: str, api: TestClient, r: redis.Redis) -> None:
    if backend != "fake":
        pytest.skip("the fake server's switch; real Redis is cut through a proxy below")
    server = r.connection_pool.connection_kwargs["server"]
    assert api.get("/reserve_product/1").status_code == 200
    server.connected = False
    for path in ["/list_products/1", "/reserve_product/1"]:
        response = api.get(path)
        assert response.status_code == 503
        assert response.json() == {"status": "Service unavailable", "detail": "Redis is not reachable"}
        assert response.headers["retry-after"] == "1"
    assert api.get("/list_products").status_code == 200  # needs no Redis
    server.connected = True
    assert api.get("/reserve_product/1").json() == {"status": "Reservation confirmed", "itemId": 1}
    assert r.get("item.1") == "2"  # nothing was taken while Redis was down


def test_a_closed_port_is_a_quick_503(io: str) -> None:
    app = create_stock_app(lambda: server_client(f"redis://127.0.0.1:{closed_port()}/0", io))
    with TestClient(app) as api:
        started = time.monotonic()
        response = api.get("/reserve_product/1")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"] == "Redis is not reachable"
    assert "Traceback" not in response.text
    assert elapsed < 3


def test_a_stalled_redis_is_a_503_within_the_timeouts(io: str, proxy: TcpProxy) -> None:
    proxy.stall()
    app = create_stock_app(lambda: server_client(proxy.url, io, timeout=0.3), deadline=2.0)
    with TestClient(app) as api:
        started = time.monotonic()
        response = api.get("/reserve_product/1")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"] == "Redis did not answer in time"
    assert elapsed < 2.5


def test_a_stalled_redis_is_cut_short_by_the_deadline(io: str, proxy: TcpProxy) -> None:
    proxy.stall()
    app = create_stock_app(lambda: server_client(proxy.url, io, timeout=30), deadline=0.3)
    with TestClient(app) as api:
        started = time.monotonic()
        response = api.get("/list_products/1")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"] == "Redis did not answer in time"
    assert elapsed < 2
    proxy.cut()  # ends the abandoned sync call at once


def test_redis_cut_over_a_real_socket_then_back(io: str, proxy: TcpProxy, r: redis.Redis) -> None:
    app = create_stock_app(lambda: server_client(proxy.url, io, timeout=0.5))
    with TestClient(app) as api:
        assert api.get("/reserve_product/1").status_code == 200
        proxy.cut()
        assert [api.get("/reserve_product/1").status_code for _ in range(3)] == [503] * 3
        proxy.restore()
        # pooled connections died with the cut: the client reconnects on its own
        assert api.get("/reserve_product/1").status_code == 200
        assert api.get("/list_products/1").json()["currentQuantity"] == 2


@pytest.mark.parametrize(("strategy", "think"), [("atomic", 0.0), ("watch", 0.005), ("naive", 0.005)])
def test_concurrent_requests_in_one_process(source: Any, r: redis.Redis, strategy: str, think: float) -> None:
    """60 requests at once through the ASGI app: the event loop (or the threadpool) interleaves them."""
    app = create_stock_app(source, strategy, think=think)

    async def go() -> Counter[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            try:
                replies = await asyncio.gather(*(client.get("/reserve_product/2") for _ in range(60)))
            finally:
                await app.state.redis.aclose()
        return Counter(x.status_code for x in replies)

    codes = asyncio.run(go())
    left = int(r.get("item.2") or 0)
    if strategy == "naive":
        assert codes[200] >= 10  # and usually more: sold twice
        assert left >= 0
    else:
        assert codes == {200: 10, 409: 50}
        assert left == 0


def test_responses_are_compact_json(api: TestClient) -> None:
    for path in ["/list_products", "/list_products/1", "/reserve_product/1", "/list_products/x"]:
        body = api.get(path).content
        assert b": " not in body
        assert b", " not in body or b"Suitcase" in body


def test_the_schema_describes_every_route_and_response(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    assert sorted(paths) == ["/list_products", "/list_products/{item_id}", "/reserve_product/{item_id}"]
    codes = {path: sorted(op["get"]["responses"]) for path, op in paths.items()}
    assert codes == {
        "/list_products": ["200"],
        "/list_products/{item_id}": ["200", "404", "503"],
        "/reserve_product/{item_id}": ["200", "404", "409", "503"],
    }
    for op in paths.values():
        assert list(op) == ["get"]
    models = schema["components"]["schemas"]
    assert list(models["ProductStockOut"]["properties"]) == [
        "itemId",
        "itemName",
        "price",
        "initialAvailableQuantity",
        "currentQuantity",
    ]
    assert models["NotEnoughStock"]["properties"]["status"]["const"] == "Not enough stock available"


def test_a_factory_client_is_closed_at_shutdown() -> None:
    made: list[Any] = []
    server = fakeredis.FakeServer()

    class Tracked(fakeredis.FakeRedis):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    def factory() -> Any:
        made.append(Tracked(server=server, decode_responses=True))
        return made[-1]

    with TestClient(create_stock_app(factory)) as api:
        assert api.get("/list_products/1").status_code == 200
        assert repr(app_of(api).state.redis) == "<RedisRunner sync deadline=3.0s>"
    assert len(made) == 1
    assert made[0].closed
    # a client given directly stays the caller's
    given = Tracked(server=server, decode_responses=True)
    with TestClient(create_stock_app(given)) as api:
        api.get("/list_products/1")
    assert not given.closed


def test_bad_arguments_fail_at_creation(r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="unknown stock strategy 'lua'"):
        create_stock_app(r, "lua")
    with pytest.raises(ValueError, match="Pause seconds"):
        create_stock_app(r, "naive", think=-1)
    with pytest.raises(ValueError, match="deadline"):
        create_stock_app(r, deadline=0)
    with pytest.raises(TypeError, match="expected a Redis client or a callable"):
        create_stock_app("redis://localhost")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected a redis\.Redis or redis\.asyncio\.Redis client"):
        RedisRunner(lambda: object()).is_async  # noqa: B018
