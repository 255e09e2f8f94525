"""Task 12, solved with queuesim's stock service (:mod:`queuesim.stock`: one Lua script checks and takes)."""

from __future__ import annotations

from typing import Any

import redis

from queuesim import stock
from queuesim.errors import ProductNotFound
from queuesim.web.stock_app import product_json

#: The products, as ``GET /list_products`` shows them.
LIST_PRODUCTS: list[dict[str, Any]] = [product_json(product) for product in stock.PRODUCTS]

_NOT_FOUND = {"status": "Product not found"}


def get_item_by_id(item_id: int) -> dict[str, Any] | None:
    """The product with this id, or None."""
    product = stock.get_item_by_id(item_id)
    return None if product is None else product_json(product)


def get_current_reserved_stock_by_id(client: redis.Redis, item_id: int) -> int:
    """The remaining stock of product ``item_id`` (its initial stock while ``item.<id>`` does not exist).

    Raises:
        queuesim.ProductNotFound: no product has this id.
    """
    remaining = stock.get_current_reserved_stock_by_id(client, item_id)
    if remaining is None:
        raise ProductNotFound(f"no product has id {item_id!r}")
    return remaining


def reserve_stock_by_id(client: redis.Redis, item_id: int) -> bool:
    """Take one unit of product ``item_id`` if one is left, in one step; True if taken."""
    return stock.reserve_stock_by_id(client, item_id).confirmed


def _product(item_id: str) -> dict[str, Any] | None:
    number = stock.parse_item_id(item_id)
    return None if number is None else get_item_by_id(number)


def route_list_products(client: redis.Redis) -> tuple[int, Any]:
    """GET /list_products."""
    return 200, LIST_PRODUCTS


def route_get_product(client: redis.Redis, item_id: str) -> tuple[int, Any]:
    """GET /list_products/<item_id>."""
    product = _product(item_id)
    if product is None:
        return 404, _NOT_FOUND
    return 200, {**product, "currentQuantity": get_current_reserved_stock_by_id(client, product["itemId"])}


def route_reserve_product(client: redis.Redis, item_id: str) -> tuple[int, Any]:
    """GET /reserve_product/<item_id>."""
    product = _product(item_id)
    if product is None:
        return 404, _NOT_FOUND
    if reserve_stock_by_id(client, product["itemId"]):
        return 200, {"status": "Reservation confirmed", "itemId": product["itemId"]}
    return 409, {"status": "Not enough stock available", "itemId": product["itemId"]}


if __name__ == "__main__":
    import sys

    from queuesim.practice.runtime import serve_stock

    sys.exit(serve_stock(sys.modules[__name__]))
