"""Task 12: the stock service over HTTP, as the course's checker asked it, and its reservation under concurrent buyers.

The bodies are docs/SPEC.md's, compared byte for byte (compact JSON, the
course's key order); the routes run in queuesim's web shell
(:mod:`queuesim.practice.apps`) on a loopback port.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import redis

from queuesim.practice.apps import create_stock_app
from queuesim.practice.checks.routes import ServedRoutes
from queuesim.practice.grading import Grader, need
from queuesim.practice.races import RaceSpec, check_race, read_int, results_of
from queuesim.practice.stores import Store
from queuesim.stock import PRODUCTS
from queuesim.web.stock_app import product_json

__all__ = ["STOCK_RACE", "check_stock"]

_NOT_FOUND = '{"status":"Product not found"}'
_NOT_A_PRODUCT = ("5", "0", "1abc", "abc", "-1", "01x")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _product(item_id: int, current: int) -> str:
    return _compact({**product_json(PRODUCTS[item_id - 1]), "currentQuantity": current})


def _confirmed(item_id: int) -> str:
    return _compact({"status": "Reservation confirmed", "itemId": item_id})


def _short(item_id: int) -> str:
    return _compact({"status": "Not enough stock available", "itemId": item_id})


class Service(ServedRoutes):
    """The learner's stock service on a fresh store, served on a loopback port for a block."""

    def __init__(self, grader: Grader, module: ModuleType) -> None:
        self.store = Store()
        self.client = self.store.client()
        super().__init__(grader, create_stock_app(module, self.client))

    def __enter__(self) -> Service:
        self.served.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.served.stop()
        self.store.close()


def _stock_spec(module: ModuleType) -> RaceSpec:
    reserve = module.reserve_stock_by_id

    def setup(r: redis.Redis) -> None:
        r.set("item.1", 1)

    def target(r: redis.Redis, i: int) -> Any:
        return reserve(r, 1)

    def invariant(r: redis.Redis, results: list[Any]) -> bool | str:
        values, errors = results_of(results)
        if errors:
            return f"a buyer's call raised {type(errors[0]).__name__}: {errors[0]}"
        confirmed = sum(1 for value in values if value is True)
        left = read_int(r, "item.1")
        if left is None or left < 0 or confirmed + left != 1:
            return f"1 unit in stock: {confirmed} reservations confirmed, item.1 = {left}"
        return True

    return RaceSpec(target, setup, invariant, role="buyer", keys=("item.1",), function="reserve_stock_by_id")


#: What the race check runs: ``STOCK_RACE(module)`` for a learner's module (see :mod:`queuesim.practice.races`).
STOCK_RACE = _stock_spec


def check_stock(grader: Grader) -> None:
    """Task 12 (``9-stock.py``)."""
    module = grader.load("9-stock")
    if module is None:
        return
    listing = _compact([product_json(p) for p in PRODUCTS])
    with Service(grader, module) as service:
        with grader.check("GET /list_products answers 200 and the four products", "stock-routes") as check:
            service.expect(check, "/list_products", 200, listing)
        with grader.check("GET /list_products/1 answers the product and its currentQuantity 4",
                          "stock-key") as check:
            service.expect(check, "/list_products/1", 200, _product(1, 4))
        with grader.check("an id that is not a product's answers 404 Product not found "
                          f"({', '.join(_NOT_A_PRODUCT)})", "product-id") as check:
            for item_id in _NOT_A_PRODUCT:
                service.expect(check, f"/list_products/{item_id}", 404, _NOT_FOUND)
        with grader.check("GET /reserve_product/3 twice: Reservation confirmed, then 409 Not enough stock available",
                          "stock-routes") as check:
            service.expect(check, "/reserve_product/3", 200, _confirmed(3))
            service.expect(check, "/reserve_product/3", 200, _confirmed(3))
            service.expect(check, "/reserve_product/3", 409, _short(3))
        sold_out = grader.results[-1]
        with grader.check("once sold out, GET /list_products/3 shows currentQuantity 0", "falsy-zero") as check:
            if not sold_out.passed:  # the reservations above did not sell it out: nothing to see here yet
                check.fail("product 3 sold out by the reservations above", "they did not work yet (see above)",
                           sold_out.concept.key if sold_out.concept is not None else "stock-routes")
            service.expect(check, "/list_products/3", 200, _product(3, 0))
        with grader.check("GET /reserve_product/<not a product> answers 404 Product not found",
                          "product-id") as check:
            for item_id in ("9", "1abc"):
                service.expect(check, f"/reserve_product/{item_id}", 404, _NOT_FOUND)
        with grader.check("Redis key item.<id> holds the remaining stock", "stock-key") as check:
            service.expect(check, "/reserve_product/1", 200, _confirmed(1))
            check.expect("3", service.client.get("item.1"))
    with grader.check("buyers of the last unit at once (two, then three): exactly one is confirmed, whatever the "
                      "timing", "get-then-set") as check:
        need(module, "reserve_stock_by_id")
        check_race(grader, check, _stock_spec(module), "1 reservation confirmed and item.1 = 0", "get-then-set")
