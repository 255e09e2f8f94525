"""``queuesim bench queue``: its JSON lines, and its errors as one line each."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import redis

from queuesim.benchmark import bench_queue
from queuesim.cli import main
from queuesim.connection import connect
from queuesim.queue.queue import Queue

REQUIRED = {"metric", "jobs", "seconds", "jobs_per_s", "concurrency", "round_trips_per_job"}


def test_json_lines_carry_the_documented_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)  # the embedded store: quick and private
    code = main(["bench", "queue", "--jobs", "20", "--concurrency", "2", "--latency-samples", "5", "--json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["metric"] for line in lines] == ["enqueue", "enqueue_bulk", "process", "process", "latency"]
    for line in lines:
        assert set(line) >= REQUIRED, line
        assert line["jobs_per_s"] > 0
    latency = lines[-1]
    assert 0 < latency["p50_ms"] <= latency["p99_ms"]


def test_no_server_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["bench", "queue", "--jobs", "5", "--redis", f"redis://127.0.0.1:{port}/0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("queuesim bench: no Redis server answered at ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_counts_are_refused_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    # the URL points nowhere: a refusal that connected first would say so instead
    code = main(["bench", "queue", "--jobs", "0", "--redis", "redis://127.0.0.1:1/0"])
    assert code == 2
    assert "--jobs, --latency-samples and --concurrency must be >= 1" in capsys.readouterr().err


def test_the_benchmark_leaves_the_store_as_it_found_it(connected: Any, store_url: str | None) -> None:
    client = connect(store_url, embedded=store_url is None)  # the store the asyncio worker reaches too
    # another queue is registered and holds a job: the benchmark's cleanup must not touch it
    other = Queue("other", redis=client)
    other.add({"keep": True})
    before = {key: client.type(key) for key in client.scan_iter()}
    assert client.smembers("qs:queues") == {"other"}
    results = list(bench_queue(client, url=store_url, jobs=20, concurrencies=(2,), latency_samples=5))
    assert [result.metric for result in results] == ["enqueue", "enqueue_bulk", "process", "process", "latency"]
    assert client.smembers("qs:queues") == {"other"}  # "bench" registered itself while it ran, and left
    assert {key: client.type(key) for key in client.scan_iter()} == before
    assert other.counts()["inactive"] == 1


def test_a_stopped_benchmark_cleans_up_too(r: redis.Redis) -> None:
    measurements = bench_queue(r, jobs=20, concurrencies=(2,), latency_samples=5)
    assert next(measurements).metric == "enqueue"
    assert r.sismember("qs:queues", "bench")  # mid-run: the queue is registered and holds jobs
    measurements.close()
    assert not r.exists("qs:queues")
    assert list(r.scan_iter()) == []
