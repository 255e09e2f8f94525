"""The ``crash`` scenario: workers killed at random moments, with and without leases.

Jobs are queued at time 0; simulated workers run them with the real worker loop.
A fault process kills workers (kill -9: no outcome reported, nothing released) at
exponential intervals, and a replacement starts after a restart delay. With
leases (the default), the jobs a dead worker held return to ``inactive`` when
their lease expires and run again elsewhere: every job completes, some twice.
With leases switched off (no stall recovery, as in Kue without a watchdog) the
same kills leave jobs stuck in ``active`` forever: lost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

from queuesim.drivers import SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.dispatch import Run, WorkerSettings, result_outcome
from queuesim.queue.options import DEFAULT_FIELDS
from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.system import QueueSystem, StoreFactory

__all__ = ["CrashConfig", "CrashResult", "simulate_crash"]

#: a stall interval so long that expired leases are never looked for: "leases off"
NEVER_MS = 10**12


@dataclass(frozen=True, slots=True)
class CrashConfig:
    """One configuration of the crash scenario (times in seconds)."""

    #: jobs queued at time 0
    jobs: int = 300
    #: worker processes alive at a time
    workers: int = 3
    #: slots per worker
    concurrency: int = 2
    #: mean service time (exponential)
    service_time: float = 1.0
    #: kills per worker per second (a Poisson process per worker)
    kill_rate: float = 0.02
    #: seconds before a killed worker is replaced
    restart_delay: float = 5.0
    #: lease length (ms)
    lease_ms: int = 5_000
    #: whether expired leases are recovered (False: Kue-style loss)
    leases: bool = True
    #: stalls a job survives before it is failed
    max_stalls: int = 20
    #: simulated seconds after which the run stops even if jobs remain
    horizon: float = 3_600.0

    def __post_init__(self) -> None:
        check_count(self.jobs, "jobs", 1)
        check_count(self.workers, "workers", 1)
        check_count(self.concurrency, "concurrency", 1)
        check_positive(self.service_time, "service time")
        check_non_negative(self.kill_rate, "kill rate")
        check_non_negative(self.restart_delay, "restart delay")
        check_count(self.lease_ms, "lease_ms", 1)
        check_count(self.max_stalls, "max_stalls")
        check_positive(self.horizon, "horizon")


@dataclass(frozen=True, slots=True)
class CrashResult:
    """What happened to the jobs."""

    config: CrashConfig
    jobs: int
    #: jobs that completed
    completed: int
    #: jobs that failed (stalled more than max_stalls times)
    failed: int
    #: jobs neither completed nor failed at the end: stuck in active or still waiting
    lost: int
    #: handler runs started
    executions: int
    #: runs beyond one per job (work done again after a kill)
    reruns: int
    #: workers killed
    kills: int
    #: simulated seconds until the last job finished (or the horizon)
    makespan: float
    round_trips_per_job: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"scenario": "crash", **asdict(self)}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)


def simulate_crash(config: CrashConfig, *, seed: int = 1, replication: int = 0,
                   store: StoreFactory | None = None) -> CrashResult:
    """Run the crash scenario once."""
    system = QueueSystem(seed, replication, store=store)
    env, streams = system.env, system.streams
    service, faults = streams["service"], streams["faults"]
    starts: Counter[str] = Counter()
    state = {"last": 0.0}
    kills = [0]
    done = env.event()

    def handler(run: Run) -> Generator[Any, Any, Any]:
        starts[run.claimed.id] += 1
        yield env.timeout(service.exponential(config.service_time))
        state["last"] = env.now
        return result_outcome(run.claimed, None)

    settings = WorkerSettings(
        concurrency=config.concurrency, lease_ms=config.lease_ms,
        stall_interval_ms=max(1, config.lease_ms // 5) if config.leases else NEVER_MS,
        max_stalls=config.max_stalls, poll_interval=max(1.0, config.lease_ms / 1000),
    )

    def watch() -> Generator[Any, Any, None]:
        # the run ends when the queue holds nothing runnable any more
        reader = SyncDriver(system.store)
        while True:
            yield env.timeout(config.service_time)
            counts = reader.run(conv.counts(system.keys))
            if counts["complete"] + counts["failed"] == config.jobs:
                done.succeed()
                return

    def slot(index: int) -> Generator[Any, Any, None]:
        worker = system.add_worker(handler, settings, name=f"w{index}.0")
        generation = 0
        while config.kill_rate > 0:
            yield env.timeout(faults.exponential(1.0 / config.kill_rate))
            if done.triggered:
                return
            worker.kill()
            kills[0] += 1
            yield env.timeout(config.restart_delay)
            generation += 1
            worker = system.add_worker(handler, settings, name=f"w{index}.{generation}")

    def load() -> Generator[Any, Any, None]:
        yield from system.enqueue([(str(i), DEFAULT_FIELDS) for i in range(config.jobs)])

    env.process(load())
    for i in range(config.workers):
        env.process(slot(i))
    env.process(watch())
    env.run(until=done | env.timeout(config.horizon))
    counts = SyncDriver(system.store).run(conv.counts(system.keys))
    executions = sum(starts.values())
    return CrashResult(
        config=config,
        jobs=config.jobs,
        completed=counts["complete"],
        failed=counts["failed"],
        lost=config.jobs - counts["complete"] - counts["failed"],
        executions=executions,
        reruns=executions - len(starts),
        kills=kills[0],
        makespan=state["last"] if done.triggered else float(env.now),
        round_trips_per_job=system.round_trips() / config.jobs,
    )
