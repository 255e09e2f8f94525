"""Kue's JSON API on the dashboard app: every route, through the test client, on both kinds of client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import redis
from dashtools import seed
from fastapi.testclient import TestClient

from queuesim import Queue, Worker
from queuesim.queue.invariants import check_invariants
from queuesim.web import kue_ops
from queuesim.web.dashboard import create_dashboard_app
from queuesim.web.kue_api import MAX_RANK

Make = Callable[..., TestClient]
#: Without a token the app answers only to local names (see test_only_local_names_without_a_token).
LOCAL = "http://127.0.0.1"


@pytest.fixture
def make_dash(source: Any) -> Iterator[Make]:
    """Makes started test clients of dashboard apps on this test's store."""
    clients: list[TestClient] = []

    def make(**options: Any) -> TestClient:
        client = TestClient(create_dashboard_app(source, **options), base_url=LOCAL)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def dash(make_dash: Make) -> TestClient:
    return make_dash()


@pytest.fixture
def queues(r: redis.Redis) -> Iterator[dict[str, Queue]]:
    made = seed(r)
    yield made
    for q in made.values():
        assert check_invariants(r, q.keys) == [], f"queue {q.name} is inconsistent"


def records(r: redis.Redis, queue: Queue) -> dict[str, dict[str, Any]]:
    return {k: json.loads(v) for k, v in r.hgetall(queue.keys.jobs).items()}


def snapshot(r: redis.Redis) -> dict[str, Any]:
    """Every key of the store and its value, to show that a refused request changed nothing."""
    out: dict[str, Any] = {}
    for key in r.scan_iter():
        kind = r.type(key)
        if kind == "hash":
            out[key] = r.hgetall(key)
        elif kind == "zset":
            out[key] = r.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            out[key] = r.lrange(key, 0, -1)
        elif kind == "set":
            out[key] = r.smembers(key)
        elif kind == "stream":
            out[key] = r.xrange(key)
        else:
            out[key] = r.get(key)
    return out


# ---------------------------------------------------------------------- reading
def test_stats_has_kues_counts_and_per_queue_figures(
    dash: TestClient, queues: dict[str, Queue], r: redis.Redis
) -> None:
    body = dash.get("/stats").json()
    assert {k: body[k] for k in ("inactiveCount", "activeCount", "completeCount", "failedCount", "delayedCount")} == {
        "inactiveCount": 3, "activeCount": 0, "completeCount": 2, "failedCount": 1, "delayedCount": 1,
    }
    email = body["queues"]["email"]
    assert (email["inactiveCount"], email["completeCount"], email["failedCount"], email["delayedCount"]) == (2, 2, 1, 1)
    assert (email["completedTotal"], email["failedTotal"], email["paused"]) == (2, 1, False)
    assert body["workTime"] == email["workTime"] == int(r.hget(queues["email"].keys.stats, "work_time") or 0) > 0
    done = [j for j in records(r, queues["email"]).values() if j["state"] == "complete"]
    waits = sorted(j["started_at"] - j["created_at"] for j in done)
    runs = sorted(j["finished_at"] - j["started_at"] for j in done)
    assert email["wait"] == {"count": 2, "p50": waits[0], "p90": waits[1], "p99": waits[1], "max": waits[1]}
    assert email["processing"] == {"count": 2, "p50": runs[0], "p90": runs[1], "p99": runs[1], "max": runs[1]}
    assert body["queues"]["video"]["wait"] == {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}


def test_stats_of_an_empty_store(dash: TestClient) -> None:
    assert dash.get("/stats").json() == {
        "inactiveCount": 0, "activeCount": 0, "completeCount": 0, "failedCount": 0, "delayedCount": 0,
        "workTime": 0, "queues": {},
    }


def test_percentiles_are_nearest_rank() -> None:
    assert kue_ops.percentiles(range(1, 101)) == {"count": 100, "p50": 50, "p90": 90, "p99": 99, "max": 100}
    assert kue_ops.percentiles([7]) == {"count": 1, "p50": 7, "p90": 7, "p99": 7, "max": 7}
    assert kue_ops.percentiles([]) == {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}


def test_wait_counts_from_when_the_last_run_became_runnable() -> None:
    assert kue_ops.ready_at({"created_at": 100}) == 100
    assert kue_ops.ready_at({"created_at": 100, "promote_at": 600}) == 600  # a delay or a backoff
    assert kue_ops.ready_at({"created_at": 100, "promote_at": 600, "failed_at": 900}) == 900  # retried at once


def test_job_types(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.get("/job/types").json() == ["email", "video"]


def test_a_job_by_queue_and_id(dash: TestClient, queues: dict[str, Queue]) -> None:
    job = dash.get("/job/2", params={"type": "email"}).json()
    assert {k: job[k] for k in ("id", "type", "state", "data", "priority", "progress", "error")} == {
        "id": "2", "type": "email", "state": "failed", "data": {"to": "bob@example.com", "subject": "Welcome"},
        "priority": 0, "progress": 50, "error": "SMTP server refused the connection",
    }
    assert job["attempts"] == {"made": 1, "remaining": 0, "max": 1}
    assert "ConnectionError" in job["stacktrace"]
    assert job == {**queues["email"].get_job(2).to_dict(), "attempts": job["attempts"]}


def test_an_id_without_a_queue_is_searched_in_every_queue(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.get("/job/5").json()["type"] == "email"  # only email has a job 5
    response = dash.get("/job/1")  # both queues have a job 1
    assert response.status_code == 409
    assert response.json() == {
        "error": "job id 1 exists in queues email, video: add ?type=<queue>", "types": ["email", "video"],
    }
    assert dash.get("/job/1", params={"type": "video"}).json()["data"] == {"file": "talk.mp4", "format": "webm"}


@pytest.mark.parametrize("job_id", ["99", "abc", "0", "-1", "1.0", "%D9%A1", "9" * 30])
def test_anything_but_an_existing_id_is_a_404(dash: TestClient, queues: dict[str, Queue], job_id: str) -> None:
    for path in (f"/job/{job_id}", f"/job/{job_id}/log", f"/job/{job_id}/timeline"):
        response = dash.get(path, params={"type": "email"})
        assert response.status_code == 404
        assert "not found" in response.json()["error"]


def test_job_routes_check_the_queue_name(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.get("/job/1", params={"type": "nope"}).json() == {"error": "job 1 not found in queue 'nope'"}
    response = dash.get("/job/1", params={"type": "a{b}"})
    assert response.status_code == 400
    assert "braces" in response.json()["error"]


CONTROL = ["a\x00b", "\x00", "a\tb", "a\x1bb", "a\x1fb", "a\x7fb", "a\x85b", "a\x9fb"]


@pytest.mark.parametrize("name", CONTROL)
def test_queue_names_refuse_control_characters(
    dash: TestClient, queues: dict[str, Queue], r: redis.Redis, name: str
) -> None:
    before = snapshot(r)
    for body in ({"type": name}, [{"type": "email"}, {"type": name}]):
        response = dash.post("/job", json=body)
        assert response.status_code == 400
        assert "must not contain control characters" in response.json()["error"]
    quoted = quote(name, safe="")
    for method, path, params in [
        ("GET", "/job/1", {"type": name}), ("DELETE", "/job/1", {"type": name}), ("GET", "/job/1/log", {"type": name}),
        ("GET", f"/jobs/{quoted}/inactive/stats", {}), ("GET", f"/jobs/{quoted}/inactive/0..9", {}),
        ("POST", f"/queues/{quoted}/pause", {}),
    ]:
        response = dash.request(method, path, params=params)
        assert response.status_code == 400, (method, path)
        assert f"queue name {name!r} must not contain control characters" in response.json()["error"]
    assert dash.get("/job/types").json() == ["email", "video"]
    assert snapshot(r) == before


def test_log_and_timeline(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.get("/job/2/log", params={"type": "email"}).json() == ["connecting to smtp for bob@example.com"]
    timeline = dash.get("/job/2/timeline", params={"type": "email"}).json()
    assert [(e["event"], e["args"]) for e in timeline] == [
        ("enqueue", ["email", "inactive"]), ("start", []), ("progress", [50, None]),
        ("failed", ["SMTP server refused the connection"]),
    ]
    assert all(e["type"] == "email" and e["id"] == "2" for e in timeline)
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


def ids(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(j["type"], j["id"]) for j in response.json()]


def test_listings_of_one_queue(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert ids(dash.get("/jobs/email/inactive/0..9")) == [("email", "4"), ("email", "5")]  # high before low
    assert ids(dash.get("/jobs/email/inactive/0..9/desc")) == [("email", "5"), ("email", "4")]
    assert ids(dash.get("/jobs/email/inactive/1..1")) == [("email", "5")]
    assert ids(dash.get("/jobs/email/complete/0..9/asc")) == [("email", "1"), ("email", "3")]
    assert ids(dash.get("/jobs/email/inactive/5..1")) == []  # an empty range, as Redis reads it
    assert ids(dash.get("/jobs/inactive/5..1")) == []
    assert dash.get("/jobs/email/inactive/stats").json() == {"count": 2}
    assert dash.get("/jobs/video/failed/stats").json() == {"count": 0}


def test_listings_over_every_queue_merge_the_indexes(dash: TestClient, queues: dict[str, Queue]) -> None:
    # inactive ranks by priority: video's critical job, email's high one, then email's low one
    assert ids(dash.get("/jobs/inactive/0..9")) == [("video", "1"), ("email", "4"), ("email", "5")]
    assert ids(dash.get("/jobs/inactive/0..9/desc")) == [("email", "5"), ("email", "4"), ("video", "1")]
    assert ids(dash.get("/jobs/inactive/1..2")) == [("email", "4"), ("email", "5")]
    assert ids(dash.get("/jobs/delayed/0..0")) == [("email", "6")]
    assert ids(dash.get("/jobs/active/0..9")) == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/jobs/email/inactive/0..1000", "at most 1000 at once"),
        (f"/jobs/inactive/{MAX_RANK}..{MAX_RANK + 1}", "rank 9999 at most"),
        ("/jobs/email/inactive/0..x", "is not from..to (two numbers, e.g. 0..9)"),
        ("/jobs/email/inactive/..9", "is not from..to"),
        ("/jobs/inactive/0..99999999999999999999999", "99999999999999999999999 is too large"),
        ("/jobs/email/inactive/1000000000000000000..1000000000000000001", "1000000000000000000 is too large"),
        ("/jobs/running/0..9", "state: Input should be"),
        ("/jobs/email/running/0..9", "state: Input should be"),
        ("/jobs/email/inactive/0..9/up", "order: Input should be 'asc' or 'desc'"),
        ("/jobs/inactive/0..9/sideways", "order: Input should be"),
        ("/jobs/email/later/stats", "state: Input should be"),
        ("/jobs/a{b}/inactive/0..9", "braces"),
    ],
)
def test_bad_listings_are_a_400(dash: TestClient, queues: dict[str, Queue], path: str, message: str) -> None:
    response = dash.get(path)
    assert response.status_code == 400
    assert message in response.json()["error"]
    if "too large" in message:
        assert "is not from..to" not in response.json()["error"]


def test_leading_zeros_do_not_make_a_rank_too_large(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert ids(dash.get("/jobs/email/inactive/0000000000000000000000..0000000000000000000001")) == [
        ("email", "4"), ("email", "5")]


def test_a_listing_skips_jobs_removed_meanwhile(r: redis.Redis, queues: dict[str, Queue]) -> None:
    keys = queues["email"].keys
    r.hdel(keys.jobs, "4")  # index says 4 is waiting, its record is gone (a remove in between)
    from queuesim.drivers import SyncDriver

    found = SyncDriver(r).run(kue_ops.list_jobs("qs", ["email", "video"], "inactive", 0, 9, "asc"))
    assert [(f.type, f.record["id"]) for f in found] == [("video", "1"), ("email", "5")]
    r.zrem(keys.inactive, "4")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/jobs/nosuch/inactive/stats"), ("GET", "/jobs/nosuch/inactive/0..9"),
     ("GET", "/jobs/nosuch/failed/0..9/desc"), ("POST", "/queues/nosuch/pause"), ("POST", "/queues/nosuch/resume")],
)
def test_a_route_naming_an_unknown_queue_is_a_404(
    dash: TestClient, queues: dict[str, Queue], r: redis.Redis, method: str, path: str
) -> None:
    response = dash.request(method, path)
    assert (response.status_code, response.json()) == (404, {"error": "no queue named 'nosuch'"})
    assert dash.get("/job/1", params={"type": "nosuch"}).status_code == 404
    assert r.smembers(queues["email"].keys.registry) == {"email", "video"}


def test_a_queue_with_jobs_exists_even_if_unregistered(
    dash: TestClient, queues: dict[str, Queue], r: redis.Redis
) -> None:
    """The registry is written beside a queue's first job, not with it: a queue holding jobs is known anyway."""
    r.srem(queues["video"].keys.registry, "video")
    assert dash.get("/jobs/video/inactive/stats").json() == {"count": 1}
    assert ids(dash.get("/jobs/video/inactive/0..9")) == [("video", "1")]
    assert dash.post("/queues/video/pause").json()["paused"] is True


def test_an_emptied_queue_still_exists(dash: TestClient, r: redis.Redis) -> None:
    assert dash.post("/job", json={"type": "once"}).status_code == 200
    assert dash.delete("/job/1", params={"type": "once"}).status_code == 200
    assert dash.get("/jobs/once/inactive/stats").json() == {"count": 0}
    assert ids(dash.get("/jobs/once/inactive/0..9")) == []


# ---------------------------------------------------------------------- creating
def test_create_one_job_with_kues_options(dash: TestClient, r: redis.Redis) -> None:
    response = dash.post("/job", json={
        "type": "email", "data": {"to": "x@example.com"},
        "options": {"attempts": 3, "priority": "high", "ttl": 2000, "removeOnComplete": True, "searchKeys": ["to"],
                    "backoff": {"type": "exponential", "delay": 500, "maxDelay": 4000}},
    })
    assert response.status_code == 200
    assert response.json() == {"message": "job created", "id": "1", "type": "email", "state": "inactive"}
    job = Queue("email", redis=r).get_job(1)
    assert (job.data, job.priority, job.max_attempts, job.options.ttl, job.options.remove_on_complete) == (
        {"to": "x@example.com"}, -10, 3, 2000, True)
    assert job.options.backoff == {"type": "exponential", "delay": 500, "max_delay": 4000}
    assert dash.get("/job/types").json() == ["email"]  # the queue is registered
    created = dash.post("/job", json={"type": "email", "options": {"delay": 60000, "priority": "5", "backoff": True}})
    assert created.json()["state"] == "delayed"
    later = Queue("email", redis=r).get_job(2)
    assert (later.data, later.priority, later.options.delay, later.options.backoff) == (
        {}, 5, 60000, {"type": "fixed", "delay": 0})


def test_create_an_array_of_jobs(dash: TestClient, r: redis.Redis) -> None:
    response = dash.post("/job", json=[{"type": "a", "data": 1}, {"type": "b", "data": 2}, {"type": "a", "data": 3}])
    assert response.status_code == 200
    assert [(j["type"], j["id"]) for j in response.json()] == [("a", "1"), ("b", "1"), ("a", "2")]
    assert [j.data for j in Queue("a", redis=r).jobs("inactive")] == [1, 3]


def test_an_invalid_item_creates_nothing(dash: TestClient, r: redis.Redis) -> None:
    response = dash.post("/job", json=[
        {"type": "a"}, {"data": 1}, {"type": "a", "options": {"priority": "urgent"}},
        {"type": "a", "options": {"prio": 1}}, {"type": "a", "options": {"delay": -5}}, "nonsense",
    ])
    assert response.status_code == 400
    body = response.json()
    assert [e["index"] for e in body["errors"]] == [1, 2, 3, 4, 5]
    messages = [e["error"] for e in body["errors"]]
    assert messages[0] == "Must provide job type"  # Kue's words
    assert "unknown priority 'urgent'" in messages[1]
    assert "options.prio: Extra inputs are not permitted" in messages[2]
    assert "options.delay" in messages[3]
    assert body["error"].startswith("item 1: Must provide job type; item 2:")
    assert r.keys("*") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        (b'{"type": "a", "data": NaN}', "job data must be JSON-serialisable"),
        (b'{"type": ""}', "type: String should have at least 1 character"),
        (b'{"type": "a{b}"}', "braces"),
        (b'{"type": "a", "options": {"attempts": 0}}', "options.attempts"),
        (b'{"type": "a", "options": {"delay": 1e300}}', "options.delay"),
        (b'{"type": "a", "options": {"backoff": {"type": "random"}}}', "options.backoff"),
        (b'{"type": "a", "options": {"priority": 99999999}}', "outside"),
        (b"7", "Input should be a valid dictionary"),
    ],
)
def test_bad_job_bodies_are_a_400(dash: TestClient, r: redis.Redis, body: bytes, message: str) -> None:
    response = dash.post("/job", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert r.keys("*") == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"attempts": "3"}, "options.attempts: Input should be a valid integer"),
        ({"attempts": 3.0}, "options.attempts"),
        ({"attempts": True}, "options.attempts"),
        ({"removeOnComplete": "yes"}, "options.removeOnComplete: Input should be a valid boolean"),
        ({"removeOnComplete": "true"}, "options.removeOnComplete"),
        ({"removeOnComplete": 1}, "options.removeOnComplete"),
        ({"priority": True}, "options.priority: must be an integer or one of low, normal"),
        ({"priority": 1.0}, "options.priority"),
        ({"delay": "1000"}, "options.delay"),
        ({"delay": True}, "options.delay"),
        ({"ttl": "2000"}, "options.ttl"),
        ({"backoff": "yes"}, "options.backoff: must be true or false, a number of ms, or {type, delay, maxDelay}"),
        ({"backoff": "true"}, "options.backoff"),
        ({"backoff": 1.5e300}, "options.backoff"),
        ({"backoff": {"type": "fixed", "delay": "500"}}, "options.backoff.object.delay: Input should be a valid"),
        ({"backoff": {"delay": 500, "maxDelay": False}}, "options.backoff.object.maxDelay"),
        ({"searchKeys": "to"}, "options.searchKeys"),
        ({"searchKeys": [1]}, "options.searchKeys.0"),
    ],
)
def test_option_types_are_strict(dash: TestClient, r: redis.Redis, options: dict[str, Any], field: str) -> None:
    """A number must be a JSON number and a boolean a JSON boolean (no "3", "yes" or 1 for true)."""
    response = dash.post("/job", json={"type": "a", "options": options})
    assert response.status_code == 400
    assert response.json()["error"].startswith(field), response.json()
    assert r.keys("*") == []


def test_kues_forms_of_each_option_are_kept(dash: TestClient, r: redis.Redis) -> None:
    forms: list[dict[str, Any]] = [
        {"priority": "critical"}, {"priority": "-5"}, {"priority": -5}, {"attempts": 2}, {"delay": 1500.5},
        {"delay": 0}, {"ttl": 100}, {"backoff": True}, {"backoff": False}, {"backoff": 250},
        {"backoff": {"type": "exponential", "delay": 100, "maxDelay": 1000}}, {"removeOnComplete": False},
        {"searchKeys": ["to"]}, {"priority": None, "attempts": None},
    ]
    response = dash.post("/job", json=[{"type": "a", "options": options} for options in forms])
    assert response.status_code == 200, response.text
    assert len(response.json()) == len(forms)
    q = Queue("a", redis=r)
    assert [q.get_job(i).priority for i in (1, 2, 3)] == [-15, -5, -5]
    assert (q.get_job(4).max_attempts, q.get_job(5).state, q.get_job(7).options.ttl) == (2, "delayed", 100)
    assert q.get_job(10).options.backoff == {"type": "fixed", "delay": 250}


@pytest.mark.parametrize("body", [b"", b"  ", b"[]"])
def test_an_empty_body_is_a_204(dash: TestClient, r: redis.Redis, body: bytes) -> None:
    response = dash.post("/job", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.content) == (204, b"")
    assert r.keys("*") == []


# ---------------------------------------------------------------------- changing
def test_move_a_job_to_another_state(dash: TestClient, queues: dict[str, Queue]) -> None:
    response = dash.put("/job/2/state/inactive", params={"type": "email"})
    assert response.json() == {"message": "updated state", "id": "2", "type": "email", "state": "inactive"}
    assert queues["email"].get_job(2).state == "inactive"
    assert dash.put("/job/2/state/complete", params={"type": "email"}).json()["state"] == "complete"
    assert dash.put("/job/6/state/delayed").json()["state"] == "delayed"  # only email has a job 6


def test_a_running_job_cannot_be_moved(dash: TestClient, queues: dict[str, Queue]) -> None:
    from queuesim.queue import conversations as conv

    q = queues["video"]
    claimed = q.driver.run(conv.fetch(q.keys, q.events_maxlen, q.now(), 1, lease_ms=60_000, token_prefix="t",
                                      stall_interval_ms=5000, max_stalls=3))
    assert [j.id for j in claimed.jobs] == ["1"]
    for method, path in [("PUT", "/job/1/state/failed"), ("PUT", "/job/1/priority/5"), ("POST", "/job/1/requeue")]:
        response = dash.request(method, path, params={"type": "video"})
        assert response.status_code == 409
        assert response.json() == {"error": "job 1 is running; it cannot be changed until it finishes"}
    response = dash.put("/job/1/state/active", params={"type": "video"})
    assert response.json() == {"error": "only a worker can make a job active"}
    assert q.get_job(1).state == "active"
    q.driver.run(conv.finish(q.keys, q.events_maxlen, q.now(), [conv.Outcome("1", claimed.jobs[0].token, "complete")]))


def test_set_a_priority(dash: TestClient, queues: dict[str, Queue]) -> None:
    response = dash.put("/job/5/priority/-20", params={"type": "email"})
    assert response.json() == {"message": "updated priority", "id": "5", "type": "email", "state": "inactive",
                               "priority": -20}
    assert [j.id for j in queues["email"].jobs("inactive")] == ["5", "4"]  # moved ahead at once
    assert dash.put("/job/5/priority/low", params={"type": "email"}).json()["priority"] == 10


@pytest.mark.parametrize("priority", ["urgent", "1.5", "9999999999", "0x10"])
def test_a_bad_priority_is_a_400(dash: TestClient, queues: dict[str, Queue], priority: str) -> None:
    response = dash.put(f"/job/5/priority/{priority}", params={"type": "email"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid priority")
    assert queues["email"].get_job(5).priority == 10


def test_remove_a_job(dash: TestClient, queues: dict[str, Queue], r: redis.Redis) -> None:
    response = dash.delete("/job/2", params={"type": "email"})
    assert response.json() == {"message": "job 2 removed", "id": "2", "type": "email"}
    assert "2" not in records(r, queues["email"])
    assert r.llen(queues["email"].keys.log("2")) == 0
    assert dash.delete("/job/2", params={"type": "email"}).status_code == 404


def test_a_running_job_is_removed_only_with_force(dash: TestClient, queues: dict[str, Queue], r: redis.Redis) -> None:
    from queuesim.queue import conversations as conv

    q = queues["video"]
    claimed = q.driver.run(conv.fetch(q.keys, q.events_maxlen, q.now(), 1, lease_ms=60_000, token_prefix="t",
                                      stall_interval_ms=5000, max_stalls=3))
    assert [j.id for j in claimed.jobs] == ["1"]
    before = snapshot(r)
    for force in ({}, {"force": "false"}):
        response = dash.delete("/job/1", params={"type": "video", **force})
        assert response.status_code == 409
        assert response.json() == {
            "error": "job 1 is running; it cannot be removed until it finishes (or add ?force=true)"}
    assert snapshot(r) == before  # nothing changed, not even the event stream
    response = dash.delete("/job/1", params={"type": "video", "force": "true"})
    assert response.json() == {"message": "job 1 removed", "id": "1", "type": "video"}
    assert records(r, q) == {}
    assert r.zcard(q.keys.active) == 0
    # the worker's outcome comes too late: its lease went with the job
    outcome = conv.Outcome("1", claimed.jobs[0].token, "complete")
    assert q.driver.run(conv.finish(q.keys, q.events_maxlen, q.now(), [outcome])) == [False]
    assert records(r, q) == {}


def test_force_removes_a_job_that_is_not_running_too(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.delete("/job/2", params={"type": "email", "force": "true"}).status_code == 200
    assert dash.delete("/job/2", params={"type": "email", "force": "true"}).status_code == 404
    response = dash.delete("/job/3", params={"type": "email", "force": "maybe"})
    assert response.status_code == 400
    assert "force" in response.json()["error"]


@pytest.mark.parametrize(("method", "path"), [("POST", "/job/2/requeue"), ("GET", "/inactive/2")])
def test_requeue_a_failed_job(dash: TestClient, queues: dict[str, Queue], method: str, path: str) -> None:
    response = dash.request(method, path, params={"type": "email"})
    assert response.json() == {"message": "job 2 inactive", "id": "2", "type": "email", "state": "inactive"}
    queues["email"].remove(6)  # the delayed job: a burst would wait an hour for it
    Worker(queues["email"], lambda job: "ok").run(burst=True)
    assert queues["email"].get_job(2).state == "complete"


@pytest.mark.parametrize(("params", "runs"), [({}, 3), ({"reset_attempts": "false"}, 1)])
def test_a_requeued_failed_job_gets_its_attempts_back(
    dash: TestClient, queues: dict[str, Queue], params: dict[str, str], runs: int
) -> None:
    video = queues["video"]
    calls: list[int] = []

    def fail(job: Any) -> None:
        calls.append(job.attempts)
        raise RuntimeError("codec missing")

    Worker(video, fail).run(burst=True)
    assert dash.get("/job/1", params={"type": "video"}).json()["attempts"] == {"made": 3, "remaining": 0, "max": 3}
    assert dash.post("/job/1/requeue", params={"type": "video", **params}).status_code == 200
    made = 0 if runs == 3 else 3
    assert dash.get("/job/1", params={"type": "video"}).json()["attempts"] == {
        "made": made, "remaining": 3 - made, "max": 3}
    calls.clear()
    Worker(video, fail).run(burst=True)
    assert len(calls) == runs


def test_pause_and_resume_a_queue(dash: TestClient, queues: dict[str, Queue]) -> None:
    assert dash.post("/queues/video/pause").json() == {"message": "queue video paused", "type": "video", "paused": True}
    assert queues["video"].is_paused()
    assert dash.get("/stats").json()["queues"]["video"]["paused"] is True
    assert dash.post("/queues/video/resume").json()["paused"] is False
    assert not queues["video"].is_paused()
    assert dash.post("/queues/nope/pause").json() == {"error": "no queue named 'nope'"}


# ---------------------------------------------------------------------- guards
MUTATIONS = [
    ("POST", "/job", {"json": {"type": "email"}}),
    ("PUT", "/job/2/state/inactive", {}),
    ("PUT", "/job/2/priority/high", {}),
    ("DELETE", "/job/2", {}),
    ("POST", "/job/2/requeue", {}),
    ("GET", "/inactive/2", {}),
    ("POST", "/queues/email/pause", {}),
    ("POST", "/queues/email/resume", {}),
]


@pytest.mark.parametrize(("method", "path", "extra"), MUTATIONS)
def test_with_a_token_changes_need_it(
    make_dash: Make, queues: dict[str, Queue], method: str, path: str, extra: dict[str, Any]
) -> None:
    dash = make_dash(token="s3cret-token")
    before = records(queues["email"].client, queues["email"])
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        response = dash.request(method, path, params={"type": "email"}, headers=headers, **extra)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer <token>" in response.json()["error"]
    assert records(queues["email"].client, queues["email"]) == before
    assert not queues["email"].is_paused()
    response = dash.request(method, path, params={"type": "email"},
                            headers={"Authorization": "Bearer s3cret-token"}, **extra)
    assert response.status_code == 200, response.text


def test_with_a_token_reads_stay_open(make_dash: Make, queues: dict[str, Queue]) -> None:
    dash = make_dash(token="t")
    for path in ["/stats", "/job/types", "/job/2?type=email", "/jobs/failed/0..9", "/", "/static/dashboard.js"]:
        assert dash.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
     {"Sec-Fetch-Site": "same-site"}],
)
def test_browsers_cannot_change_queues_for_another_site(
    dash: TestClient, queues: dict[str, Queue], headers: dict[str, str]
) -> None:
    for method, path, extra in MUTATIONS:
        response = dash.request(method, path, params={"type": "email"}, headers=headers, **extra)
        assert (response.status_code, response.json()) == (403, {"error": "cross-site request refused"})
    assert queues["email"].get_job(2).state == "failed"
    ok = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
    assert dash.post("/job/2/requeue", params={"type": "email"}, headers=ok).status_code == 200
    assert dash.get("/stats", headers={"Origin": "https://evil.example"}).status_code == 200  # reads are fine


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("127.0.0.1:1246", True), ("localhost:1246", True), ("LOCALHOST", True),
     ("dash.localhost:80", True), ("[::1]:1246", True), ("[::1]", True), ("testserver", False),
     ("evil.example:1246", False), ("0.0.0.0:1246", False), ("192.168.1.2", False), ("[::]:1246", False),
     ("", False)],
)
def test_only_local_names_without_a_token(make_dash: Make, host: str, local: bool) -> None:
    """A name re-pointed at 127.0.0.1 (DNS rebinding) must not reach a dashboard that has no token."""
    for dash in (make_dash(), make_dash(token="t")):
        response = dash.get("/stats", headers={"Host": host})
        if local or dash.app.state.token_required:  # type: ignore[attr-defined]
            assert response.status_code == 200
        else:
            assert response.status_code == 403
            assert "answers only to localhost" in response.json()["error"]


def test_bad_app_arguments(r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="braces"):
        create_dashboard_app(r, prefix="{x}")
    with pytest.raises(ValueError, match="printable ASCII without spaces"):
        create_dashboard_app(r, token="two words")
    with pytest.raises(ValueError, match="printable ASCII"):
        create_dashboard_app(r, token="")
    with pytest.raises(ValueError, match="block_ms"):
        create_dashboard_app(r, block_ms=0)


def test_another_prefix_sees_only_its_queues(make_dash: Make, r: redis.Redis, queues: dict[str, Queue]) -> None:
    Queue("other", redis=r, prefix="app").add({"x": 1})
    dash = make_dash(prefix="app")
    assert dash.get("/job/types").json() == ["other"]
    assert dash.get("/stats").json()["inactiveCount"] == 1
    assert dash.post("/job", json={"type": "more"}).json()["id"] == "1"
    assert sorted(r.smembers("app:queues")) == ["more", "other"]


# ---------------------------------------------------------------------- the page and the schema
@pytest.mark.parametrize("path", ["/", "/inactive", "/active", "/failed", "/complete", "/delayed"])
def test_the_page_is_served_on_kues_ui_routes(dash: TestClient, path: str) -> None:
    response = dash.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert '<script type="module" src="static/dashboard.js">' in response.text


def test_static_files(dash: TestClient) -> None:
    js = dash.get("/static/dashboard.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text  # job data only ever reaches the page as text
    assert dash.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert dash.get("/static/nope.js").status_code == 404


def test_redis_down_is_a_503_then_the_api_resumes(backend: str, dash: TestClient, queues: dict[str, Queue],
                                                 r: redis.Redis) -> None:
    if backend != "fake":
        pytest.skip("uses the fake server's switch")
    server = r.connection_pool.connection_kwargs["server"]
    server.connected = False
    for path in ["/stats", "/job/types", "/job/2?type=email", "/jobs/failed/0..9"]:
        response = dash.get(path)
        assert response.status_code == 503
        assert response.json() == {"status": "Service unavailable", "detail": "Redis is not reachable"}
    assert dash.post("/job/2/requeue?type=email").status_code == 503
    server.connected = True
    assert dash.get("/job/2?type=email").json()["state"] == "failed"


def test_the_schema_documents_every_route(make_dash: Make) -> None:
    schema = make_dash().get("/openapi.json").json()
    paths = schema["paths"]
    assert sorted(paths) == sorted([
        "/events", "/inactive/{job_id}", "/job", "/job/types", "/job/{job_id}", "/job/{job_id}/log",
        "/job/{job_id}/priority/{priority}", "/job/{job_id}/requeue", "/job/{job_id}/state/{state}",
        "/job/{job_id}/timeline", "/jobs/{state}/{span}", "/jobs/{state}/{span}/{order}",
        "/jobs/{type}/{state}/stats", "/jobs/{type}/{state}/{span}", "/jobs/{type}/{state}/{span}/{order}",
        "/queues/{type}/pause", "/queues/{type}/resume", "/stats",
        "/healthz", "/metrics", "/readyz", "/workers",
    ])
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            assert "401" not in operation["responses"]
            if path not in ("/events", "/healthz", "/metrics"):  # these answer whatever Redis does
                assert "503" in operation["responses"], (method, path)
    assert "JobSpec" in schema["components"]["schemas"]
    assert "securitySchemes" not in schema.get("components", {})
    locked = make_dash(token="t").get("/openapi.json").json()
    assert locked["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "description": "The dashboard's token (`--token`).", "scheme": "bearer"}}
    assert "401" in locked["paths"]["/job/{job_id}"]["delete"]["responses"]
    assert "401" not in locked["paths"]["/job/{job_id}"]["get"]["responses"]


def test_the_schema_of_a_job_matches_to_dict(dash: TestClient, queues: dict[str, Queue]) -> None:
    schema = dash.get("/openapi.json").json()["components"]["schemas"]["JobOut"]
    assert list(schema["properties"]) == list(dash.get("/job/2?type=email").json())


def test_a_closed_port_is_a_quick_503() -> None:
    from webtools import closed_port

    from queuesim.web.clients import server_client

    app = create_dashboard_app(lambda: server_client(f"redis://127.0.0.1:{closed_port()}/0"))
    with TestClient(app, base_url=LOCAL) as api:
        for path in ["/stats", "/job/1?type=email", "/jobs/email/failed/0..9"]:
            response = api.get(path)
            assert response.status_code == 503
            assert response.json()["detail"] == "Redis is not reachable"
        assert api.get("/").status_code == 200  # the page itself needs no Redis


# ---------------------------------------------------------------------- operations: metrics, health, workers
def _families(text: str) -> dict[str, Any]:
    from prometheus_client.parser import text_string_to_metric_families

    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(family: Any, **labels: str) -> float:
    [sample] = [s for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())
                and not s.name.endswith("_created")]
    return float(sample.value)


def test_metrics_in_prometheus_text_format(dash: TestClient, queues: dict[str, Queue], r: redis.Redis) -> None:
    response = dash.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = _families(response.text)  # parsed by prometheus_client's own parser
    assert _value(families["queuesim_redis_up"]) == 1
    jobs = families["queuesim_jobs"]
    assert _value(jobs, queue="email", state="complete") == 2
    assert _value(jobs, queue="email", state="failed") == 1
    assert _value(jobs, queue="email", state="inactive") == 2
    assert _value(jobs, queue="email", state="delayed") == 1
    assert _value(jobs, queue="video", state="inactive") == 1
    assert families["queuesim_jobs_completed"].type == "counter"
    assert _value(families["queuesim_jobs_completed"], queue="email") == 2
    assert _value(families["queuesim_jobs_failed"], queue="email") == 1
    work = int(r.hget(queues["email"].keys.stats, "work_time") or 0)
    assert _value(families["queuesim_work_seconds"], queue="email") == work / 1000
    assert _value(families["queuesim_queue_paused"], queue="video") == 0
    assert _value(families["queuesim_workers"], queue="email") == 0
    queues["video"].pause()
    assert _value(_families(dash.get("/metrics").text)["queuesim_queue_paused"], queue="video") == 1
    openmetrics = dash.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")


def test_metrics_and_workers_show_a_running_worker(dash: TestClient, queues: dict[str, Queue]) -> None:
    import threading
    import time

    started, release = threading.Event(), threading.Event()

    def handler(job: Any) -> None:
        started.set()
        release.wait(30)

    worker = Worker(queues["video"], handler, name="busy-one", heartbeat_ms=50, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        assert started.wait(20)
        deadline = time.monotonic() + 20
        while True:  # the worker says it is busy at its next heartbeat
            body = dash.get("/workers").json()
            if (body["workers"] and body["workers"][0]["state"] == "busy") or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        [entry] = body["workers"]
        assert (entry["id"], entry["queue"], entry["state"]) == ("busy-one", "video", "busy")
        assert [j["id"] for j in entry["jobs"]] == ["1"]
        families = _families(dash.get("/metrics").text)
        assert _value(families["queuesim_workers"], queue="video") == 1
        assert _value(families["queuesim_worker_running_jobs"], worker="busy-one") == 1
        assert dash.get("/stats").json()["queues"]["video"]["workers"] == 1
    finally:
        release.set()
        worker.stop()
        thread.join(10)
    assert dash.get("/workers").json()["workers"] == []  # a worker that stops leaves the registry


def test_health_while_redis_is_up_then_down(backend: str, dash: TestClient, r: redis.Redis) -> None:
    assert dash.get("/healthz").json() == {"status": "ok"}
    assert dash.get("/readyz").json() == {"status": "ready", "redis": "up"}
    if backend != "fake":
        return  # (the switch below is the fake server's)
    server = r.connection_pool.connection_kwargs["server"]
    server.connected = False
    try:
        assert dash.get("/healthz").status_code == 200  # alive: no restart because Redis is away
        ready = dash.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["redis"] == "down"
        metrics = dash.get("/metrics")
        assert metrics.status_code == 200
        assert _value(_families(metrics.text)["queuesim_redis_up"]) == 0
        assert dash.get("/workers").status_code == 503
    finally:
        server.connected = True
    assert dash.get("/readyz").status_code == 200
