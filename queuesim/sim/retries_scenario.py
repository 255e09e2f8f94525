"""The ``retries`` scenario: notification jobs that fail at random, with attempts and backoff.

Each run of a job fails with probability p (a flaky SMS gateway). The real queue
retries it while attempts remain, after the backoff delay (the job waits in
``delayed``). The scenario measures goodput (jobs that end complete), the extra
load retries put on the workers, and how long a job takes from arrival to
completion, beside what probability says: a job fails for good with
probability pⁿ and costs (1 − pⁿ)/(1 − p) runs on average.
"""

from __future__ import annotations

import json
import math
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

from queuesim.drivers import SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.dispatch import Run, WorkerSettings, fail_outcome, result_outcome
from queuesim.queue.options import JobOptions
from queuesim.queue.record import enqueue_fields
from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.stats import percentiles
from queuesim.sim.system import QueueSystem, StoreFactory

__all__ = ["BACKOFFS", "RetriesConfig", "RetriesResult", "simulate_retries"]

BACKOFFS = ("none", "fixed", "exponential")


@dataclass(frozen=True, slots=True)
class RetriesConfig:
    """One configuration of the retries scenario (times in seconds)."""

    jobs: int = 1_000
    #: jobs per second (Poisson)
    arrival_rate: float = 5.0
    workers: int = 2
    concurrency: int = 1
    #: mean service time of one run (exponential)
    service_time: float = 0.1
    #: probability that one run fails (1: every run fails, every job ends failed)
    failure_probability: float = 0.3
    #: runs a job may have
    attempts: int = 3
    #: none, fixed or exponential
    backoff: str = "exponential"
    #: the backoff's base delay (ms)
    backoff_delay_ms: int = 1_000

    def __post_init__(self) -> None:
        check_count(self.jobs, "jobs", 1)
        check_positive(self.arrival_rate, "arrival rate")
        check_count(self.workers, "workers", 1)
        check_count(self.concurrency, "concurrency", 1)
        check_positive(self.service_time, "service time")
        check_non_negative(self.failure_probability, "failure probability")
        if self.failure_probability > 1:
            raise ValueError(f"failure probability must be from 0 to 1, got {self.failure_probability}")
        check_count(self.attempts, "attempts", 1)
        if self.backoff not in BACKOFFS:
            raise ValueError(f"backoff must be one of {', '.join(BACKOFFS)}, got {self.backoff!r}")
        check_count(self.backoff_delay_ms, "backoff_delay_ms")

    def job_options(self) -> JobOptions:
        """The options every job is created with."""
        backoff = None if self.backoff == "none" else {"type": self.backoff, "delay": self.backoff_delay_ms}
        return JobOptions.build(attempts=self.attempts, backoff=backoff)


@dataclass(frozen=True, slots=True)
class RetriesResult:
    """Outcomes of the jobs and the load their retries caused."""

    config: RetriesConfig
    jobs: int
    completed: int
    #: jobs that failed every attempt
    failed: int
    #: completed / jobs
    goodput: float
    #: runs of the handler in all
    executions: int
    #: executions per job minus one: the extra load of retries
    extra_load: float
    #: mean seconds from arrival to completion (completed jobs; 0.0 when none completed)
    mean_time_to_complete: float
    #: p50, p95, p99 of the same times (empty when no job completed)
    time_to_complete_percentiles: dict[str, float]
    #: what probability says: P(fail for good) = pⁿ, runs per job = (1 − pⁿ)/(1 − p)
    theory: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"scenario": "retries", **asdict(self)}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)


def retries_theory(p: float, n: int) -> dict[str, float]:
    """Permanent-failure probability and expected runs per job for failure probability p and n attempts."""
    p_fail = p**n
    runs = float(n) if p == 1 else (1 - p_fail) / (1 - p)
    return {"p_fail": p_fail, "goodput": 1 - p_fail, "executions_per_job": runs, "extra_load": runs - 1}


def simulate_retries(config: RetriesConfig, *, seed: int = 1, replication: int = 0,
                     store: StoreFactory | None = None) -> RetriesResult:
    """Run the retries scenario once."""
    system = QueueSystem(seed, replication, store=store)
    env, streams = system.env, system.streams
    arrivals, service, faults = streams["arrivals"], streams["service"], streams["faults"]
    fields = enqueue_fields(config.job_options())
    arrived: dict[int, float] = {}
    completed_at: dict[int, float] = {}
    state = {"executions": 0, "settled": 0}
    done = env.event()

    def handler(run: Run) -> Generator[Any, Any, Any]:
        state["executions"] += 1
        yield env.timeout(service.exponential(config.service_time))
        i = int(run.claimed.data)
        if faults.bernoulli(config.failure_probability):
            if run.claimed.attempts >= run.claimed.max_attempts:
                settle()
            return fail_outcome(run.claimed, "gateway timeout", "", {})
        completed_at[i] = env.now
        settle()
        return result_outcome(run.claimed, None)

    def settle() -> None:
        state["settled"] += 1
        if state["settled"] == config.jobs and not done.triggered:
            done.succeed()

    settings = WorkerSettings(concurrency=config.concurrency, poll_interval=3600.0)
    for _ in range(config.workers):
        system.add_worker(handler, settings)

    def source() -> Generator[Any, Any, None]:
        for i in range(config.jobs):
            yield env.timeout(arrivals.exponential(1.0 / config.arrival_rate))
            arrived[i] = env.now
            system.submit([(str(i), fields)])

    env.process(source())
    env.run(until=done)
    env.run(until=env.now + 10.0)  # let the last outcomes reach the store (they are a round trip behind)
    counts = SyncDriver(system.store).run(conv.counts(system.keys))
    times = [completed_at[i] - arrived[i] for i in completed_at]
    return RetriesResult(
        config=config,
        jobs=config.jobs,
        completed=counts["complete"],
        failed=counts["failed"],
        goodput=counts["complete"] / config.jobs,
        executions=state["executions"],
        extra_load=state["executions"] / config.jobs - 1,
        mean_time_to_complete=math.fsum(times) / len(times) if times else 0.0,
        time_to_complete_percentiles=percentiles(times, (50, 95, 99)) if times else {},
        theory=retries_theory(config.failure_probability, config.attempts),
    )
