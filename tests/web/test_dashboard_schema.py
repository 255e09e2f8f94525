"""The dashboard's JSON API against its OpenAPI schema (schemathesis): every reply documented, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import schemathesis
from dashtools import seed
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from queuesim.queue.invariants import check_invariants
from queuesim.web.dashboard import create_dashboard_app


@pytest.mark.parametrize("token", [None, "s3cret"])
def test_every_response_conforms_to_the_schema(r: redis.Redis, token: str | None) -> None:
    """Schemathesis calls every operation with data drawn from the schema, on seeded queues."""
    queues = seed(r)
    app = create_dashboard_app(r, token=token)
    # GET /events streams forever: it has its own tests
    local = {"Host": "127.0.0.1"}  # without a token the app answers only to local names
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=local).exclude(path="/events")
    seen: dict[int, int] = {}

    @given(case=schema.as_strategy())
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any) -> None:
        if token is not None and case.method != "GET":
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        # status code, content type and body against the schema; a schema-valid request may still be
        # refused with a documented 400 for what a schema cannot say (at most 1000 jobs per listing,
        # a priority within ±1048575), so that one check is left out
        response = case.call_and_validate(headers=local, excluded_checks=[positive_data_acceptance])
        assert response.status_code < 500, response.text
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    check()
    assert {200, 400, 404} <= set(seen), seen
    for q in queues.values():
        assert check_invariants(r, q.keys) == []
