"""Seeing what runs: the worker registry (heartbeats; a killed worker's entry expires), ``queuesim info``,
and stats that count no outage as work time."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import redis
from polling import wait_for

from queuesim.drivers import SyncDriver
from queuesim.queue import JobState, Queue, Worker, registry
from queuesim.queue.info_command import format_overview
from queuesim.queue.overview import Overview, QueueFigures
from queuesim.queue.registry import RegisteredWorker

HERE = Path(__file__).parent



def info(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "queuesim.cli", "info", "--redis", url, *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_info_json_shows_queues_rates_and_the_live_workers(shared_store: tuple[str, redis.Redis]) -> None:
    url, client = shared_store
    mail = Queue("mail", redis=client)
    mail.create_bulk(range(5))
    Worker(mail, lambda job: None, register=False).run(burst=True)  # 5 complete in the last minute
    running = mail.add("slow")
    mail.add("next")
    video = Queue("video", redis=client)
    video.add("clip")
    video.pause()
    release, started = threading.Event(), threading.Event()

    def handler(job: Any) -> None:
        started.set()
        release.wait(30)

    worker = Worker(mail, handler, name="w-test", heartbeat_ms=100, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        assert started.wait(20)
        wait_for(lambda: client.hget("qs:worker:w-test", "state") == "busy", what="the worker says it is busy")
        done = info(url, "--json")
    finally:
        release.set()
        worker.stop()
        thread.join(10)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    queues = {q["name"]: q for q in seen["queues"]}
    assert queues["mail"]["counts"] == {"inactive": 1, "active": 1, "complete": 5, "failed": 0, "delayed": 0}
    assert (queues["mail"]["completed_last_minute"], queues["mail"]["completed_total"]) == (5, 5)
    assert queues["mail"]["workers"] == 1
    assert (queues["video"]["paused"], queues["mail"]["paused"]) == (True, False)
    [entry] = seen["workers"]
    assert (entry["id"], entry["queue"], entry["state"], entry["pid"]) == ("w-test", "mail", "busy", os.getpid())
    assert [j["id"] for j in entry["jobs"]] == [running.id]
    assert entry["jobs"][0]["started_at"] <= seen["at"]
    assert entry["kind"] == "threads"
    assert client.zcard("qs:workers") == 0  # the worker left the registry when it stopped


def test_the_jobs_a_worker_runs_are_read_now_not_from_its_last_heartbeat(r: redis.Redis) -> None:
    """With a heartbeat of a minute, the registry still shows the job running now (read from the lease tokens
    of the active jobs), not the one the last beat listed, and an idle worker as idle."""
    q = Queue("now", redis=r)
    first, second = q.add("first"), q.add("second")
    gates = {first.id: threading.Event(), second.id: threading.Event()}
    started: list[str] = []

    def handler(job: Any) -> None:
        started.append(job.id)
        gates[job.id].wait(30)

    worker = Worker(q, handler, name="w-slow-beat", heartbeat_ms=60_000, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    driver = SyncDriver(r)
    try:
        wait_for(lambda: started == [first.id], what="the first job to start")
        [entry] = wait_for(lambda: driver.run(registry.live_workers(q.keys)), what="the worker registered")
        assert ([j for j, _ in entry.jobs], entry.state) == ([first.id], "busy")
        beat = entry.beat_at
        gates[first.id].set()
        wait_for(lambda: started == [first.id, second.id], what="the second job to start")
        [entry] = driver.run(registry.live_workers(q.keys))
        assert entry.beat_at == beat  # no heartbeat since ...
        assert ([j for j, _ in entry.jobs], entry.state) == ([second.id], "busy")  # ... yet it shows the job now
        assert entry.jobs[0][1] == q.get_job(second.id).started_at
        gates[second.id].set()
        assert second.wait(10) is JobState.COMPLETE
        [entry] = driver.run(registry.live_workers(q.keys))
        assert (entry.jobs, entry.state) == ((), "idle")
    finally:
        for gate in gates.values():
            gate.set()
        worker.stop()
        thread.join(10)
        q.close()


def test_info_says_the_workers_count_runs_and_the_queue_counts_jobs() -> None:
    """The queue's "failed" (jobs in the failed state) and the worker's (runs that failed, retries included)
    are labelled apart, in the text and in --json."""
    queue = QueueFigures("email", {"inactive": 0, "active": 0, "complete": 2, "failed": 1, "delayed": 0}, False,
                         completed_total=3, failed_total=1, work_time_ms=10, completed_last_minute=2,
                         failed_last_minute=1, workers=1)
    worker = RegisteredWorker("host:1:ab", "email", "host", 1, "threads", 4, "idle", started_at=0, beat_at=1000,
                              completed=3, failed=2)
    seen = Overview("qs", 1000, [queue], [worker])
    lines = format_overview(seen).splitlines()
    [queue_header] = [line for line in lines if line.split()[:1] == ["queue"]]
    [worker_header, row] = lines[lines.index("1 worker") + 1:]
    assert queue_header.split()[5] == "failed"
    assert worker_header.split("  ")[-2:] == ["runs ok", "runs failed"]
    assert " failed" not in worker_header.replace("runs failed", "")
    assert row.split()[-2:] == ["3", "2"]
    [entry] = seen.to_dict()["workers"]
    assert (entry["runs_completed"], entry["runs_failed"]) == (3, 2)
    assert (entry["completed"], entry["failed"]) == (3, 2)  # the keys scripts and the dashboard already read


def test_info_text_and_watch(shared_store: tuple[str, redis.Redis]) -> None:
    url, client = shared_store
    Queue("mail", redis=client).add(1)
    done = info(url)
    assert done.returncode == 0, done.stderr
    assert "queue  waiting  active" in done.stdout
    assert "mail" in done.stdout
    assert "0 workers" in done.stdout
    watching = subprocess.Popen([sys.executable, "-m", "queuesim.cli", "info", "--redis", url, "--json",
                                 "--watch", "0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watching.stdout is not None
    first = json.loads(watching.stdout.readline())
    second = json.loads(watching.stdout.readline())
    assert second["at"] >= first["at"]
    watching.send_signal(signal.SIGINT)
    _out, err = watching.communicate(timeout=20)
    assert watching.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [((), "no Redis server given"), (("--watch", "0"), "at least 0.1")])
def test_info_usage_errors(args: tuple[str, ...], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run([sys.executable, "-m", "queuesim.cli", "info", *args], capture_output=True, text=True,
                          timeout=60, check=False, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_killed_worker_leaves_the_registry_when_its_heartbeats_stop(shared_store: tuple[str, redis.Redis]) -> None:
    url, client = shared_store
    queue = Queue("beats", redis=client)
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuesim.cli", "worker", "--path", str(HERE), "cmd_handlers:quick", "-q", "beats",
         "--redis", url, "--heartbeat", "0.2", "--name", "doomed"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    driver = SyncDriver(client)
    try:
        [entry] = wait_for(lambda: driver.run(registry.live_workers(queue.keys)), what="the worker registered")
        assert entry.id.startswith("doomed:")
        first_beat = entry.beat_at
        wait_for(lambda: [w for w in driver.run(registry.live_workers(queue.keys)) if w.beat_at > first_beat],
                 what="a second heartbeat")  # it keeps beating while it lives
        os.kill(proc.pid, signal.SIGKILL)  # no goodbye: only the missing heartbeats tell
        proc.wait(10)
        wait_for(lambda: driver.run(registry.live_workers(queue.keys)) == [], what="the entry to expire")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert client.zcard("qs:workers") == 0  # the reader dropped the dead id too
    assert client.exists(f"qs:worker:{entry.id}") == 0


def test_format_overview_lists_queues_and_workers() -> None:
    from queuesim.queue.overview import Overview, QueueFigures
    from queuesim.queue.registry import RegisteredWorker

    seen = Overview("qs", 1_000_000, [QueueFigures("mail", {"inactive": 3, "active": 1, "complete": 9,
                                                           "failed": 2, "delayed": 0}, True, 9, 2, 450, 4, 1, 1)],
                    [RegisteredWorker("w1", "mail", "host", 42, "threads", 4, "busy", 940_000, 999_000, 9, 2,
                                      (("7", 997_500),), "jobs.send")])
    text = format_overview(seen)
    lines = text.splitlines()
    assert lines[1].split() == ["queue", "waiting", "active", "delayed", "complete", "failed", "paused", "done/min",
                                "failed/min", "workers"]
    assert lines[2].split() == ["mail", "3", "1", "0", "9", "2", "yes", "4", "1", "1"]
    assert lines[3] == "1 worker"
    assert lines[5].split() == ["w1", "mail", "host", "42", "busy", "4", "threads", "7", "(2.5s)", "1m", "9", "2"]


class FlakyDriver(SyncDriver):
    """A sync driver whose every command fails while ``down`` is set: Redis gone, as the worker sees it."""

    __slots__ = ("down",)

    def __init__(self, client: redis.Redis, down: threading.Event) -> None:
        super().__init__(client)
        self.down = down

    def execute(self, step: Any, pin: Any = None) -> Any:
        if self.down.is_set():
            raise redis.ConnectionError("Redis went away")
        return super().execute(step, pin)


def test_an_outage_is_not_counted_as_work_time(make_queue: Any, clock: Any) -> None:
    """A run that ended before Redis went away is reported after it came back: its duration ends where it ended."""
    queue = make_queue(clock=clock)
    job = queue.add("x")
    release, ended = threading.Event(), threading.Event()

    def handler(j: Any) -> str:
        release.wait(20)
        return "done"

    down = threading.Event()

    queue.driver = FlakyDriver(queue.client, down)
    worker = Worker(queue, handler, poll_interval=0.05, register=False)
    original = worker._core.finished

    def finished(run: Any, outcome: Any) -> None:
        original(run, outcome)
        ended.set()

    worker._core.finished = finished  # type: ignore[method-assign]
    thread = threading.Thread(target=worker.run, kwargs={"burst": True, "handle_signals": False}, daemon=True)
    thread.start()
    wait_for(lambda: queue.counts()["active"] == 1, what="the job to start")
    clock.advance(250)  # the run takes 250 ms
    down.set()  # Redis goes away ...
    release.set()
    assert ended.wait(20)  # ... the handler ends (at +250 ms) while it is away ...
    clock.advance(60_000)  # ... for a minute
    wait_for(lambda: worker.stats.outages == 1, what="the worker to see the outage")
    down.clear()
    thread.join(20)
    assert not thread.is_alive()
    got = queue.get_job(job.id or "")
    assert got.state is JobState.COMPLETE
    assert got.duration == 250  # not 60,250
    assert queue.stats()["work_time"] == 250
    assert got.finished_at == (got.started_at or 0) + 250


def test_an_idle_worker_logs_when_redis_is_lost_and_when_it_is_back(
    make_queue: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """An idle worker talks to Redis only to beat (and wait for work): a beat that fails starts the outage,
    the first that succeeds ends it, one line each."""
    queue = make_queue()
    down = threading.Event()

    queue.driver = FlakyDriver(queue.client, down)
    worker = Worker(queue, lambda job: None, poll_interval=0.05, heartbeat_ms=20, name="idle")
    caplog.set_level(logging.WARNING, logger="queuesim.worker")
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: queue.client.exists("qs:worker:idle"), what="the first beat")
        down.set()
        wait_for(lambda: worker.stats.outages == 1, what="the worker to see the outage")
        down.clear()
        wait_for(lambda: any("Redis is back" in r.getMessage() for r in caplog.records), what="the line saying so")
    finally:
        down.clear()
        worker.stop()
        thread.join(10)
    lines = [r.getMessage() for r in caplog.records if "Redis" in r.getMessage()]
    assert len(lines) == 2, lines  # one line for the outage, one for its end
    assert lines[0].startswith("worker idle lost Redis (Redis went away)")
    assert lines[1].startswith("worker idle: Redis is back after")
