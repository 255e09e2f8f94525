"""The ``crash`` scenario: workers killed at random moments, with and without leases.

Jobs are queued at time 0; simulated workers run them with the real worker loop.
A fault process kills workers (kill -9: no outcome reported, nothing released) at
exponential intervals, and a replacement starts after a restart delay. With
leases (the default), the jobs a dead worker held return to ``inactive`` when
their lease expires and run again elsewhere: every job completes, some twice.
With leases switched off (no stall recovery, as in Kue without a watchdog) the
same kills leave jobs stuck in ``active`` forever: lost.

A run ends as soon as no further progress is possible: every job is complete,
failed, or lost (active, held by a dead worker, with no lease to expire). Kills
are counted up to that moment only, so ``kills`` and ``makespan`` mean the same
with and without leases. The horizon is a safety stop: jobs still waiting or
running when it cuts the run short are reported as ``unfinished``, not as lost.
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
from queuesim.queue.record import DEFAULT_FIELDS
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
    #: jobs that can never finish: active, held by a dead worker, with no lease to expire (leases off)
    lost: int
    #: jobs that could still have finished when the horizon stopped the run (waiting, running,
    #: or held by a dead worker until its lease expires); 0 when the run ended on its own
    unfinished: int
    #: handler runs started
    executions: int
    #: runs beyond one per job (work done again after a kill)
    reruns: int
    #: workers killed
    kills: int
    #: simulated seconds until the last job finished, or the horizon when the run was cut short
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
    """Run the crash scenario once: until no further progress is possible, or the horizon."""
    system = QueueSystem(seed, replication, store=store)
    env, streams = system.env, system.streams
    service, faults = streams["service"], streams["faults"]
    reader = SyncDriver(system.store)
    starts: Counter[str] = Counter()
    state = {"last": 0.0}
    kills = [0]
    dead: set[str] = set()
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

    def settled() -> bool:
        # True (and the run ends) once no job can make progress any more
        if not done.triggered:
            counts = reader.run(conv.counts(system.keys))
            if counts["complete"] + counts["failed"] + _lost(reader, system, config, dead, counts) == config.jobs:
                done.succeed()
        return done.triggered

    def watch() -> Generator[Any, Any, None]:
        while not settled():
            yield env.timeout(config.service_time)

    def slot(index: int) -> Generator[Any, Any, None]:
        name = f"w{index}.0"
        worker = system.add_worker(handler, settings, name=name)
        generation = 0
        while config.kill_rate > 0:
            yield env.timeout(faults.exponential(1.0 / config.kill_rate))
            if settled():
                return  # a kill after the end would change nothing: it is not counted
            worker.kill()
            dead.add(name)
            kills[0] += 1
            yield env.timeout(config.restart_delay)
            generation += 1
            name = f"w{index}.{generation}"
            worker = system.add_worker(handler, settings, name=name)

    def load() -> Generator[Any, Any, None]:
        yield from system.enqueue([(str(i), DEFAULT_FIELDS) for i in range(config.jobs)])

    env.process(load())
    for i in range(config.workers):
        env.process(slot(i))
    env.process(watch())
    env.run(until=done | env.timeout(config.horizon))
    counts = reader.run(conv.counts(system.keys))
    lost = _lost(reader, system, config, dead, counts)
    unfinished = config.jobs - counts["complete"] - counts["failed"] - lost
    executions = sum(starts.values())
    return CrashResult(
        config=config,
        jobs=config.jobs,
        completed=counts["complete"],
        failed=counts["failed"],
        lost=lost,
        unfinished=unfinished,
        executions=executions,
        reruns=executions - len(starts),
        kills=kills[0],
        makespan=state["last"] if unfinished == 0 else float(env.now),
        round_trips_per_job=system.round_trips() / config.jobs,
    )


def _lost(reader: SyncDriver, system: QueueSystem, config: CrashConfig, dead: set[str],
          counts: dict[str, int]) -> int:
    """Active jobs that will never finish: their lease token names a dead worker, and nothing recovers them."""
    if config.leases or not dead or counts["active"] == 0:
        return 0  # with leases, an expired lease sends the job back to inactive: never lost
    ids = reader.run(conv.range_ids(system.keys, "active", 0, -1, "asc"))
    records = reader.run(conv.get_records(system.keys, ids))
    # a lease token is "<worker id>.<run number>" (claim.lua)
    return sum(1 for r in records if str(r.get("token", "")).rsplit(".", 1)[0] in dead)
