"""The stock app against its OpenAPI schema (schemathesis) and against a model of the stock (hypothesis)."""

from __future__ import annotations

from typing import Any

import redis
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuesim.stock import PRODUCTS
from queuesim.web.stock_app import create_stock_app

# ids the app must tell apart: real products, near misses, and noise
IDS = st.one_of(
    st.sampled_from(["1", "2", "3", "4"]),
    st.integers(-3, 8).map(str),
    st.sampled_from(["1abc", "01", "1.0", "+1", "9" * 40, "%201", "%D9%A1"]),
    st.text(
        st.characters(codec="utf-8", min_codepoint=32, exclude_characters="/?#%\x7f"), min_size=1, max_size=8
    ).filter(lambda text: text not in {".", ".."}),  # dot segments are not ids: URLs normalise them away
)


def expected_product(item_id: str) -> int | None:
    """The model's reading of an id: plain ASCII digits naming a product (leading zeros allowed)."""
    if item_id.isascii() and item_id.isdigit() and int(item_id) in {p.item_id for p in PRODUCTS}:
        return int(item_id)
    return None


def test_every_response_conforms_to_the_schema(r: redis.Redis) -> None:
    """Schemathesis makes requests from the schema; every reply must be documented and valid, never 5xx."""
    app = create_stock_app(r)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: dict[int, int] = {}

    @given(case=schema.as_strategy())
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any) -> None:
        response = case.call_and_validate()  # status code, content type and body against the schema
        assert response.status_code < 500
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    check()
    assert {200, 404} <= set(seen)


@given(requests=st.lists(st.tuples(st.sampled_from(["list_products", "reserve_product"]), IDS), max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_app_matches_a_model_of_the_stock(r: redis.Redis, requests: list[tuple[str, str]]) -> None:
    """Any sequence of requests: each reply is what a plain dictionary of counts predicts."""
    r.flushdb()
    left = {p.item_id: p.initial_quantity for p in PRODUCTS}
    with TestClient(create_stock_app(r)) as api:
        for route, item_id in requests:
            response = api.get(f"/{route}/{item_id}")
            product = expected_product(item_id)
            if product is None:
                assert (response.status_code, response.json()) == (404, {"status": "Product not found"})
            elif route == "list_products":
                assert response.status_code == 200
                assert response.json()["currentQuantity"] == left[product]
            elif left[product] > 0:
                left[product] -= 1
                assert response.status_code == 200
            else:
                assert (response.status_code, response.json()["status"]) == (
                    409,
                    "Not enough stock available",
                )
    for product in PRODUCTS:
        stored = r.get(f"item.{product.item_id}")
        assert int(stored if stored is not None else product.initial_quantity) == left[product.item_id]
