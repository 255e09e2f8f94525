"""Workers in other processes: cross-process events, SIGTERM, and kill -9 crash recovery."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from polling import wait_for

from queuesim.queue import JobState, Queue
from queuesim.queue.invariants import check_invariants

WORKER = Path(__file__).with_name("worker_proc.py")


def start_worker(url: str, queue: str, mode: str, *more: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, queue, mode, *more],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM, then the worker's output once it exits (see :func:`wait_for_exit`)."""
    proc.send_signal(signal.SIGTERM)
    return wait_for_exit(proc)


def wait_for_exit(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The worker's output once it exits; a worker still running after 20 s dumps its
    threads' stacks (SIGUSR1), is killed, and fails the test with them."""
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=2)  # lets the dump reach the pipe
        proc.kill()
        _out, err = proc.communicate()
        pytest.fail(f"the worker did not stop within 20 s of SIGTERM; its threads:\n{err}")



def test_creator_sees_events_of_a_worker_in_another_process(shared_store: tuple[str, redis.Redis]) -> None:
    url, client = shared_store
    queue = Queue("notify", redis=client)
    got: dict[str, list[Any]] = {"progress": [], "complete": [], "queue": []}
    done = threading.Event()
    queue.on("job complete", lambda job_id, result: got["queue"].append((job_id, result)))
    job = queue.add({"phone": "4153518780"})
    job.on("progress", lambda pct, data: got["progress"].append((pct, data)))
    job.on("complete", lambda result: (got["complete"].append(result), done.set()))
    proc = start_worker(url, "notify", "events")
    try:
        assert done.wait(20)
        wait_for(lambda: got["queue"])
    finally:
        _out, err = stop_worker(proc)
    queue.close()
    assert proc.returncode == 0, err
    assert got["progress"] == [(50, {"half": True})]
    assert got["complete"] == [{"ok": job.id}]
    assert got["queue"] == [(job.id, {"ok": job.id})]


def test_listener_started_late_replays_what_it_missed(shared_store: tuple[str, redis.Redis]) -> None:
    url, client = shared_store
    queue = Queue("late", redis=client)
    job = queue.add(1)
    proc = start_worker(url, "late", "events")
    try:
        wait_for(lambda: queue.get_job(job.id or "").state is JobState.COMPLETE)
        results: list[Any] = []
        job.on("complete", results.append)  # registered after the job already completed
        assert results == [{"ok": job.id}]
    finally:
        stop_worker(proc)
    queue.close()


@pytest.mark.parametrize("kind", ["threads", "async"])
def test_sigterm_lets_the_running_job_finish(shared_store: tuple[str, redis.Redis], kind: str) -> None:
    url, client = shared_store
    queue = Queue("term", redis=client)
    job = queue.add(1)
    proc = start_worker(url, "term", "block", *(["async"] if kind == "async" else []))
    wait_for(lambda: client.llen("started") == 1)
    proc.send_signal(signal.SIGTERM)
    client.set("release", "1")
    out, err = wait_for_exit(proc)
    assert proc.returncode == 0, err
    assert "stopped 1 SIGTERM" in out  # worker.stop_signal says which signal stopped it
    assert queue.get_job(job.id or "").state is JobState.COMPLETE


@pytest.mark.slow
def test_kill_9_loses_no_job(shared_store: tuple[str, redis.Redis], record_property: Any) -> None:
    """200 jobs; the worker process is killed with SIGKILL mid-run several times; all complete."""
    url, client = shared_store
    queue = Queue("crash", redis=client)
    queue.create_bulk(range(200))
    kills = 0
    while kills < 4:
        proc = start_worker(url, "crash", "record")
        before = client.llen("executions")
        wait_for(lambda b=before: client.llen("executions") >= b + 25)  # type: ignore[misc]
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
        kills += 1
    proc = start_worker(url, "crash", "record")
    try:
        wait_for(lambda: queue.counts()["complete"] == 200, timeout=60)
    finally:
        stop_worker(proc)
    executions = Counter(client.lrange("executions", 0, -1))
    duplicates = sum(executions.values()) - len(executions)
    record_property("duplicates", duplicates)
    print(f"\nkill -9 x{kills}: 200 jobs, {sum(executions.values())} executions, {duplicates} duplicates")
    assert sorted(executions, key=int) == [str(i) for i in range(1, 201)]  # every job ran
    assert queue.counts() == {"inactive": 0, "active": 0, "complete": 200, "failed": 0, "delayed": 0}
    assert duplicates <= kills * 4  # at most the runs in flight (concurrency 4) at each kill re-run
    assert check_invariants(client, queue.keys) == []
