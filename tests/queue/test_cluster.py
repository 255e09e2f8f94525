"""The queue on a real 3-master Redis Cluster started for this test (skipped without redis-server)."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster

from queuesim.queue import JobState, Queue, Worker
from queuesim.queue import conversations as conv
from queuesim.queue.invariants import check_invariants

pytestmark = pytest.mark.slow


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_ports(n: int) -> list[int]:
    """Ports whose cluster-bus twin (port + 10000) is free too, so below 55536."""
    rng = random.Random()
    ports: list[int] = []
    while len(ports) < n:
        port = rng.randrange(20000, 30000)
        if port not in ports and _port_free(port) and _port_free(port + 10000):
            ports.append(port)
    return ports


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    server = shutil.which("redis-server")
    cli = shutil.which("redis-cli")
    if server is None or cli is None:
        pytest.skip("redis-server/redis-cli not installed: cannot start a local Redis Cluster")
    workdir = Path(tempfile.mkdtemp(prefix="qs-cluster-"))
    ports = free_cluster_ports(3)
    procs = []
    for port in ports:
        d = workdir / str(port)
        d.mkdir()
        procs.append(subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no", "--dir", str(d)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
    try:
        for port in ports:
            _wait(lambda p=port: redis.Redis(port=p).ping())  # type: ignore[misc]
        subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
        _wait(lambda: all(redis.Redis(port=p).cluster("info")["cluster_state"] == "ok" for p in ports))
        client = RedisCluster(host="127.0.0.1", port=ports[0], decode_responses=True)
        yield client
        client.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise AssertionError("the cluster did not come up")


class Clock:
    def __init__(self) -> None:
        self.now = 5_000_000

    def __call__(self) -> int:
        return self.now


def test_queues_spread_over_slots_and_run(cluster: RedisCluster) -> None:
    slots = {cluster.keyslot(Queue(n, redis=cluster).keys.jobs) for n in ("a", "b", "c", "d", "e", "f")}
    assert len(slots) == 6  # one slot per queue, different queues on different slots
    for name in ("email", "sms"):
        q = Queue(name, redis=cluster)
        q.create_bulk([{"n": i} for i in range(50)])
        urgent = q.add({"n": "urgent"}, priority="critical")
        Worker(q, lambda job: job.data["n"], concurrency=4).run(burst=True)
        starts = [e.job_id for e in q.events.history() if e.name == "start"]
        assert starts[0] == urgent.id  # claimed first, whatever order the threads then run in
        assert sorted(int(i) for i in starts) == list(range(1, 52))
        assert q.counts()["complete"] == 51
        assert check_invariants(cluster, q.keys) == []


def test_retry_delay_and_stall_recovery_on_cluster(cluster: RedisCluster) -> None:
    clock = Clock()
    q = Queue("flaky", redis=cluster, clock=clock)
    job = q.add("x", attempts=2, backoff={"type": "fixed", "delay": 1000})
    later = q.add("later", delay=500)
    fails = iter([True, False])

    def handler(job: Any) -> str:
        if job.data == "x" and next(fails):
            raise RuntimeError("first try fails")
        return "ok"

    w = Worker(q, handler)
    t = threading.Thread(target=w.run, kwargs={"burst": True})
    t.start()
    _wait(lambda: q.counts()["delayed"] == 2)
    clock.now += 1000
    w._notify()  # the clock moved: look again now
    t.join(20)
    assert q.get_job(job.id or "").state is JobState.COMPLETE
    assert q.get_job(later.id or "").state is JobState.COMPLETE
    # a dead worker's job comes back after its lease
    dead_job = q.add("stalls")
    q.driver.run(conv.fetch(q.keys, 100, clock(), 1, lease_ms=100, token_prefix="dead",
                            stall_interval_ms=10, max_stalls=3))
    clock.now += 10_000  # past the lease and past the shared stall timer the first worker set
    Worker(q, lambda job: "recovered", stall_interval_ms=10).run(burst=True)
    assert q.get_job(dead_job.id or "").result == "recovered"
    assert check_invariants(cluster, q.keys) == []
