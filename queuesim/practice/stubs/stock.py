"""Task 12 — In stock? (the course's 9-stock.js).

An HTTP service on port 1245 lists four suitcases and reserves them, one unit
per request, and never sells more than the stock, however many buyers come
at once. queuesim provides the web app: it calls your ``route_...`` functions
and sends back the ``(status, body)`` each returns as compact JSON.

The stock lives in Redis: the key ``item.<id>`` holds the **remaining** stock
of product ``<id>``; a missing key means the product still has its initial stock.

The logic, as plain functions of a Redis client:

* ``get_item_by_id(item_id)``: the product of :data:`LIST_PRODUCTS` with this id, or None;
* ``get_current_reserved_stock_by_id(client, item_id)``: the remaining stock;
* ``reserve_stock_by_id(client, item_id)``: take one unit if one is left; True
  if taken. Many buyers run this at once: checking and taking must be one
  step (a Lua script, or WATCH/MULTI/EXEC), or two buyers get the same unit.

The routes (``item_id`` is the text of the URL: ``"1"``, ``"5"``, ``"1abc"``):

* ``GET /list_products`` → 200, :data:`LIST_PRODUCTS`;
* ``GET /list_products/<id>`` → 200, the product plus ``"currentQuantity": <int>``;
  404 ``{"status": "Product not found"}`` for anything that is not a product's id;
* ``GET /reserve_product/<id>`` → 200 ``{"status": "Reservation confirmed", "itemId": <id>}``;
  409 ``{"status": "Not enough stock available", "itemId": <id>}``; 404 as above.

Run it: ``python 9-stock.py`` (then ``curl localhost:1245/list_products``).
Check it, from this folder: ``queuesim check 9-stock``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from typing import Any

import redis

#: The products, as ``GET /list_products`` shows them.
LIST_PRODUCTS: list[dict[str, Any]] = [
    {"itemId": 1, "itemName": "Suitcase 250", "price": 50, "initialAvailableQuantity": 4},
    {"itemId": 2, "itemName": "Suitcase 450", "price": 100, "initialAvailableQuantity": 10},
    {"itemId": 3, "itemName": "Suitcase 650", "price": 350, "initialAvailableQuantity": 2},
    {"itemId": 4, "itemName": "Suitcase 1050", "price": 550, "initialAvailableQuantity": 5},
]


def get_item_by_id(item_id: int) -> dict[str, Any] | None:
    """The product with this id, or None."""
    raise NotImplementedError("write get_item_by_id")


def get_current_reserved_stock_by_id(client: redis.Redis, item_id: int) -> int:
    """The remaining stock of product ``item_id`` (its initial stock while ``item.<id>`` does not exist)."""
    raise NotImplementedError("write get_current_reserved_stock_by_id")


def reserve_stock_by_id(client: redis.Redis, item_id: int) -> bool:
    """Take one unit of product ``item_id`` if one is left, in one step; True if taken."""
    raise NotImplementedError("write reserve_stock_by_id")


def route_list_products(client: redis.Redis) -> tuple[int, Any]:
    """GET /list_products."""
    raise NotImplementedError("write route_list_products")


def route_get_product(client: redis.Redis, item_id: str) -> tuple[int, Any]:
    """GET /list_products/<item_id>."""
    raise NotImplementedError("write route_get_product")


def route_reserve_product(client: redis.Redis, item_id: str) -> tuple[int, Any]:
    """GET /reserve_product/<item_id>."""
    raise NotImplementedError("write route_reserve_product")


if __name__ == "__main__":  # provided: serves your routes on port 1245 (REDIS_URL, else the embedded store)
    import sys

    from queuesim.practice.runtime import serve_stock

    sys.exit(serve_stock(sys.modules[__name__]))
