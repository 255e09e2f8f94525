"""The web shells: the learner's ``(status, body)`` as compact JSON; anything else a JSON 500, kept for the checks."""

from __future__ import annotations

import types
from typing import Any

import pytest

from queuesim.practice.apps import SeatApp, create_seats_app, create_stock_app
from queuesim.practice.loopback import Served
from queuesim.practice.stores import Store


def module(**routes: Any) -> types.ModuleType:
    made = types.ModuleType("learner")
    vars(made).update(routes)
    return made


def test_a_route_answers_what_it_returns() -> None:
    store = Store()
    app = create_stock_app(module(route_list_products=lambda client: (200, [{"b": 1, "a": 2}])), store.client())
    with Served(app) as served:
        answer = served.get("/list_products")
    assert (answer.status, answer.text) == (200, '[{"b":1,"a":2}]')


@pytest.mark.parametrize(("route", "error"), [
    (lambda client: [200, {}], "returned [200, {}], not (status, body)"),
    (lambda client: ("200", {}), "returned the status '200', not an HTTP status code"),
    (lambda client: (200, {1, 2}), "returned a body that is not JSON data"),
    (lambda client: 1 / 0, "raised ZeroDivisionError: division by zero"),
    (None, "is missing from the file"),
])
def test_anything_else_is_a_json_500_and_kept(route: Any, error: str) -> None:
    store = Store()
    routes = {} if route is None else {"route_list_products": route}
    app = create_stock_app(module(**routes), store.client())
    with Served(app) as served:
        answer = served.get("/list_products")
    assert (answer.status, answer.json) == (500, {"status": "Internal server error"})
    assert error in str(app.state.errors[-1])


def test_the_seat_shell_initializes_starts_workers_and_stops_them() -> None:
    store = Store()
    client = store.client()
    seats = SeatApp(client)

    def route_process(app: SeatApp) -> tuple[int, Any]:
        app.start_worker(lambda job: None)
        return 200, {"workers": len(app.workers)}

    learner = module(initialize=lambda c: c.set("available_seats", 50, nx=True), route_process=route_process)
    with Served(create_seats_app(learner, seats)) as served:
        assert served.get("/process").json == {"workers": 1}
        assert served.get("/process").json == {"workers": 2}
    assert client.get("available_seats") == "50"
    assert all(not w.running for w in seats.workers)


def test_an_initialize_that_raises_is_kept_and_the_service_still_answers() -> None:
    store = Store()

    def initialize(client: Any) -> None:
        raise RuntimeError("no")

    app = create_seats_app(module(initialize=initialize, route_available_seats=lambda a: (200, {})),
                           SeatApp(store.client()))
    with Served(app) as served:
        assert served.get("/available_seats").status == 200
    assert "initialize raised RuntimeError: no" in str(app.state.errors[0])
