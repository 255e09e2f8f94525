"""Exercise 12 over HTTP: the stock service (docs/SPEC.md §12), as a FastAPI app.

Routes, bodies and status codes are the original's, made exact:

* ``GET /list_products`` → 200, every product;
* ``GET /list_products/<id>`` → 200, the product plus ``currentQuantity``, or 404;
* ``GET /reserve_product/<id>`` → 200 confirmed, 409 not enough stock, or 404.

Any id that is not a product (``1abc``, ``-1``, huge, non-numeric) is a 404 with
``{"status":"Product not found"}``. Redis down or slow → a JSON 503 within a
bounded time (see :mod:`queuesim.web.common`); the ``watch`` strategy also
answers 503 if it gave up after too many conflicting transactions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path
from fastapi.responses import Response
from pydantic import BaseModel

from queuesim._version import __version__
from queuesim.stock import (
    DEFAULT_MAX_RETRIES,
    PRODUCTS,
    Product,
    ReservationStatus,
    StockStrategy,
    current_quantity,
    get_item_by_id,
    reserve,
)
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
    openapi_without_validation_errors,
    unavailable_reply,
)
from queuesim.web.serve import DEFAULT_HOST, DEFAULT_PORT, check_workers, serve

__all__ = [
    "NotEnoughStock",
    "ProductNotFoundBody",
    "ProductOut",
    "ProductStockOut",
    "ReservationConfirmed",
    "create_stock_app",
    "main",
    "product_json",
    "serve_stock",
]


class ProductOut(BaseModel):
    """A product as ``/list_products`` shows it."""

    itemId: int
    itemName: str
    price: int
    initialAvailableQuantity: int


class ProductStockOut(ProductOut):
    """A product with the stock it has left."""

    currentQuantity: int


class ProductNotFoundBody(BaseModel):
    """404: no product has this id (unknown, negative, huge or not a plain number)."""

    status: Literal["Product not found"]


class ReservationConfirmed(BaseModel):
    """200: one unit of the product is reserved."""

    status: Literal["Reservation confirmed"]
    itemId: int


class NotEnoughStock(BaseModel):
    """409: the product has no stock left; nothing was reserved."""

    status: Literal["Not enough stock available"]
    itemId: int


def product_json(product: Product) -> dict[str, Any]:
    """The SPEC's JSON object for ``product``, keys in the SPEC's order."""
    return {
        "itemId": product.item_id,
        "itemName": product.name,
        "price": product.price,
        "initialAvailableQuantity": product.initial_quantity,
    }


_NOT_FOUND = {"status": ReservationStatus.NOT_FOUND.value}


def _reservation(status: ReservationStatus, product: Product) -> dict[str, Any]:
    return {"status": status.value, "itemId": product.item_id}
_ID_DOC = "The product id: a plain decimal number. Anything else is a product that does not exist."
ItemId = Annotated[str, Path(min_length=1, description=_ID_DOC, examples=["1", "4", "5", "1abc"])]
_UNAVAILABLE_DOC = {"model": ServiceUnavailable, "description": "Redis is down, slow or failing; try again"}


def create_stock_app(
    source: ClientSource,
    strategy: StockStrategy | str = StockStrategy.ATOMIC,
    *,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
    deadline: float = DEFAULT_DEADLINE,
    hot_routes: bool = True,
) -> FastAPI:
    """The stock service as a FastAPI app.

    Its three ``GET`` routes are hot routes of a :class:`~queuesim.web.common.ServiceApp`:
    answered with replies rendered once, ahead of FastAPI's machinery (the same
    handlers also sit behind the FastAPI routes, which make the schema and the docs).

    Args:
        source: a Redis client, sync (``redis.Redis``: handlers run in the
            threadpool) or asyncio (``redis.asyncio.Redis``: handlers await it),
            or a callable making one at startup (closed at shutdown). With an
            asyncio client made by a factory, use the test client as a context
            manager (``with TestClient(app) as client``) so one event loop serves
            every request.
        strategy: ``"atomic"`` (default), ``"watch"`` or ``"naive"`` (racy: teaching only).
        think: seconds of client work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before answering 503.
        deadline: seconds a request may wait for Redis before answering 503.
        hot_routes: ``False`` sends every request through FastAPI (same answers, slower).

    Raises:
        ValueError: an unknown strategy or an out-of-range argument.
    """
    chosen = StockStrategy.parse(strategy, "stock")
    reserve(PRODUCTS[0], chosen, think=think, max_retries=max_retries).close()  # checks the arguments now
    runner = RedisRunner(source, deadline=deadline)
    listing = Reply.json([product_json(p) for p in PRODUCTS])
    not_found = Reply.json(_NOT_FOUND, 404)
    confirmed = {p.item_id: Reply.json(_reservation(ReservationStatus.CONFIRMED, p)) for p in PRODUCTS}
    short = {p.item_id: Reply.json(_reservation(ReservationStatus.NOT_ENOUGH_STOCK, p), 409) for p in PRODUCTS}
    # a product's body up to its quantity, rendered once: '{"itemId":1,...,"currentQuantity":'
    with_quantity = {p.item_id: Reply.json(product_json(p)).body[:-1] + b',"currentQuantity":' for p in PRODUCTS}

    async def list_reply(_: str = "") -> Reply:
        return listing

    async def product_reply(item_id: str) -> Reply:
        product = get_item_by_id(item_id)
        if product is None:
            return not_found
        quantity = await runner.run(current_quantity(product))
        return Reply(200, b"%s%d}" % (with_quantity[product.item_id], quantity))

    async def reserve_reply(item_id: str) -> Reply:
        product = get_item_by_id(item_id)
        if product is None:
            return not_found
        result = await runner.run(reserve(product, chosen, think=think, max_retries=max_retries))
        if result.status is ReservationStatus.CONFIRMED:
            return confirmed[product.item_id]
        if result.status is ReservationStatus.NOT_ENOUGH_STOCK:
            return short[product.item_id]
        return unavailable_reply(f"too many concurrent reservations of item {product.item_id}; try again")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runner.start()
        try:
            yield
        finally:
            await runner.aclose()

    app = ServiceApp(
        title="queuesim stock service",
        version=__version__,
        description="Exercise 12, *In stock?*: list products and reserve them without ever overselling. "
        f"Reservations use the `{chosen.value}` strategy.",
        lifespan=lifespan,
    )
    app.state.redis = runner
    app.state.strategy = chosen
    install_error_handlers(app)
    openapi_without_validation_errors(app)  # ids are plain strings: nothing can fail validation
    if hot_routes:
        app.hot_routes = HotRoutes(exact={"/list_products": list_reply},
                                   prefixed={"/list_products": product_reply, "/reserve_product": reserve_reply})

    @app.get(
        "/list_products",
        response_model=list[ProductOut],
        summary="Every product",
        response_description="Every product, in id order",
        operation_id="list_products",
    )
    async def list_all() -> Response:
        return listing.response()

    @app.get(
        "/list_products/{item_id}",
        response_model=ProductStockOut,
        responses={404: {"model": ProductNotFoundBody}, 503: _UNAVAILABLE_DOC},
        summary="One product and the stock it has left",
        response_description="The product and its remaining stock",
        operation_id="get_product",
    )
    async def one(item_id: ItemId) -> Response:
        return (await product_reply(item_id)).response()

    @app.get(
        "/reserve_product/{item_id}",
        response_model=ReservationConfirmed,
        responses={
            404: {"model": ProductNotFoundBody},
            409: {"model": NotEnoughStock},
            503: _UNAVAILABLE_DOC,
        },
        summary="Reserve one unit of a product",
        response_description="One unit is reserved",
        operation_id="reserve_product",
    )
    async def reserve_one(item_id: ItemId) -> Response:
        return (await reserve_reply(item_id)).response()

    return app


def serve_stock(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    redis_url: str | None = None,
    strategy: StockStrategy | str = StockStrategy.ATOMIC,
    *,
    io: ClientKind | str = ClientKind.ASYNC,
    timeout: float = DEFAULT_TIMEOUT,
    access_log: bool = False,
    workers: int = 1,
) -> int:
    """Run the stock service until Ctrl-C/SIGTERM (``queuesim serve stock``, exercise ``9-stock``).

    Redis is ``redis_url``, else ``REDIS_URL``, else the embedded store. Starting
    never changes the stored stock; ``queuesim reset stock`` does. ``workers``
    processes serve the port (more than one needs a Redis server: each process
    would have an embedded store of its own). With ``io="async"`` the handlers'
    plain commands share one pipelined connection per process
    (:mod:`queuesim.web.multiplex`).

    Returns:
        the exit code: 0 after a clean stop.

    Raises:
        InvalidURL: a malformed URL.
        ValueError: ``workers`` out of range, or above 1 on the embedded store.
    """
    kind = ClientKind(io)
    check_workers(redis_url, workers)  # also fails on a bad URL now, not at the first request
    app = create_stock_app(lambda: server_client(redis_url, kind, timeout=timeout, multiplex=True), strategy)
    return serve(app, host, port, access_log=access_log, workers=workers)


def main(url: str | None = None) -> int:
    """Exercise ``9-stock``: serve the stock service on port 1245 until Ctrl-C or SIGTERM."""
    return serve_stock(redis_url=url)
