"""``queuesim bench queue``: its JSON lines, and its errors as one line each."""

from __future__ import annotations

import json
import socket

import pytest

from queuesim.cli import main

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
