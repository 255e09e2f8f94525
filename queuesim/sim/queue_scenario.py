"""The ``queue`` scenario: jobs flow through the real queue into c simulated workers.

Poisson arrivals are enqueued with the real ``enqueue`` conversation, workers run
the real worker loop (claim, finish, renew, …) against the simulation's store,
and each job "works" for a service time drawn when it arrives (so common random
numbers hold across configurations). The output is what a capacity planner
asks: mean wait in queue, P(wait), mean queue length, utilisation, throughput,
wait percentiles, blocking for a bounded system — each with a 95% confidence
interval over independent replications, and the analytic value beside it when
queueing theory has one (M/M/1, M/M/c via Erlang C, M/M/c/K, M/D/1, M/G/1).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Generator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from queuesim.queue.dispatch import Run, WorkerSettings, result_outcome
from queuesim.queue.record import DEFAULT_FIELDS
from queuesim.sim._checks import check_count, check_non_negative, check_positive
from queuesim.sim.distributions import DISTRIBUTION_KINDS, distribution
from queuesim.sim.executor import Executor, Progress, using_executor
from queuesim.sim.stats import Summary, percentiles, summarize, time_weighted_mean
from queuesim.sim.system import QueueSystem, StoreFactory
from queuesim.sim.theory import QueueMetrics, allen_cunneen, md1, mg1, mmc, mmck

__all__ = [
    "QueueConfig",
    "QueueReplication",
    "QueueResult",
    "queue_replications",
    "run_queue_replication",
    "simulate_queue",
    "summarize_queue",
    "theory_for",
]


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One configuration of the queue scenario (times in seconds, rates per second)."""

    #: λ: jobs per second arriving (Poisson)
    arrival_rate: float
    #: μ: jobs per second one worker serves
    service_rate: float
    #: c: workers (each with ``concurrency`` slots)
    workers: int = 1
    #: service time distribution: exp, det or lognormal
    service: str = "exp"
    #: coefficient of variation of a lognormal service time
    service_cv: float = 1.0
    #: K: most jobs in the system (waiting + in service); arrivals beyond are turned away
    capacity: int | None = None
    #: arrivals per replication
    jobs: int = 5_000
    #: arrivals at the start of each replication left out of the averages
    warmup: int = 500
    #: network round trip between clients and Redis (ms; exponential one-way delays)
    rtt_ms: float = 0.0
    #: slots per worker
    concurrency: int = 1

    def __post_init__(self) -> None:
        check_positive(self.arrival_rate, "arrival rate")
        check_positive(self.service_rate, "service rate")
        check_count(self.workers, "workers", 1)
        check_count(self.concurrency, "concurrency", 1)
        check_count(self.jobs, "jobs", 1)
        check_count(self.warmup, "warmup")
        check_non_negative(self.rtt_ms, "rtt_ms")
        if self.warmup >= self.jobs:
            raise ValueError(f"warmup ({self.warmup}) must be smaller than jobs ({self.jobs})")
        if self.service not in DISTRIBUTION_KINDS:
            raise ValueError(f"service must be one of {', '.join(DISTRIBUTION_KINDS)}, got {self.service!r}")
        if self.capacity is not None:
            check_count(self.capacity, "capacity", self.servers)

    @property
    def servers(self) -> int:
        """Jobs that can be served at once (workers × concurrency)."""
        return self.workers * self.concurrency

    @property
    def load(self) -> float:
        """The offered load per server, ρ = λ / (c·μ) (below 1 for a steady state without a capacity)."""
        return self.arrival_rate / (self.servers * self.service_rate)


@dataclass(frozen=True, slots=True)
class QueueReplication:
    """What one replication measured after its warm-up."""

    jobs: int
    mean_wait: float
    p_wait: float
    mean_queue_length: float
    utilization: float
    throughput: float
    blocking: float
    mean_time_in_system: float
    round_trips_per_job: float
    waits: tuple[float, ...] = field(repr=False)


@dataclass(frozen=True)
class QueueResult:
    """Summaries over replications, and the analytic values when they exist."""

    config: QueueConfig
    replications: int
    mean_wait: Summary
    p_wait: Summary
    mean_queue_length: Summary
    utilization: Summary
    throughput: Summary
    blocking: Summary
    mean_time_in_system: Summary
    wait_percentiles: dict[str, float]
    round_trips_per_job: float
    theory: QueueMetrics[float] | None
    #: every measured wait, pooled over the replications (for plots)
    waits: tuple[float, ...] = field(default=(), repr=False)

    def theory_covered(self) -> dict[str, bool]:
        """For each measure with a theoretical value: whether its 95% interval covers it (empty without theory).

        The honest verdict: a correct simulation's intervals miss about 1 time in 20,
        so one "False" is no proof of a bug (see :func:`queuesim.sim.stats.coverage`);
        an approximate theory (``theory.exact`` False) may be missed by a correct simulation.
        """
        if self.theory is None:
            return {}
        names = ["mean_wait", "p_wait", "mean_queue_length", "utilization", "throughput", "mean_time_in_system"]
        if self.config.capacity is not None:
            names.append("blocking")
        return {name: getattr(self, name).covers(float(getattr(self.theory, name))) for name in names}

    def little_gap(self) -> float:
        """Relative gap between L_q and λ_eff·W_q in the output (Little's law; ~0 when consistent)."""
        lam_eff = self.throughput.mean
        expected = lam_eff * self.mean_wait.mean
        return abs(self.mean_queue_length.mean - expected) / max(expected, 1e-12)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (the ``--json`` contract of ``queuesim simulate queue``)."""
        out: dict[str, Any] = {
            "scenario": "queue",
            "config": asdict(self.config),
            "replications": self.replications,
            "mean_wait": self.mean_wait.mean,
            "mean_wait_ci": [self.mean_wait.low, self.mean_wait.high],
            "p_wait": self.p_wait.mean,
            "mean_queue_length": self.mean_queue_length.mean,
            "utilization": self.utilization.mean,
            "throughput": self.throughput.mean,
            "mean_time_in_system": self.mean_time_in_system.mean,
            "wait_percentiles": self.wait_percentiles,
            "little_gap": self.little_gap(),
            "round_trips_per_job": self.round_trips_per_job,
            "summaries": {name: getattr(self, name).to_dict() for name in (
                "mean_wait", "p_wait", "mean_queue_length", "utilization", "throughput", "blocking",
                "mean_time_in_system")},
            "theory": None if self.theory is None else _plain(self.theory.to_dict()),
            "theory_in_ci": self.theory_covered(),
        }
        if self.config.capacity is not None:
            out["blocking"] = self.blocking.mean
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in data.items()}


def theory_for(config: QueueConfig) -> QueueMetrics[float] | None:
    """The analytic values for ``config`` when queueing theory has them (else None).

    Exact where a formula exists (M/M/c, M/M/c/K, M/D/1, M/G/1); for several servers
    with deterministic or lognormal service, the Allen–Cunneen approximation, marked
    ``exact=False``; None for a bounded queue without exponential service, or an
    unstable one.
    """
    lam, mu, c, k = config.arrival_rate, config.service_rate, config.servers, config.capacity
    scv = 0.0 if config.service == "det" else config.service_cv**2
    try:
        if config.service == "exp":
            return mmck(lam, mu, c, k) if k is not None else mmc(lam, mu, c)
        if k is None and c == 1:
            if config.service == "det":
                return md1(lam, mu)
            return mg1(lam, mu, scv)
        if k is None:
            return allen_cunneen(lam, mu, c, scv)
    except ValueError:  # unstable: no steady state to compare with
        return None
    return None


def run_queue_replication(
    config: QueueConfig, seed: int, replication: int = 0, *, store: StoreFactory | None = None
) -> QueueReplication:
    """Simulate one replication of ``config`` and measure it.

    Args:
        store: makes the store from a seconds clock (default: :func:`~queuesim.sim.system.default_store`).
    """
    system = QueueSystem(seed, replication, rtt_ms=config.rtt_ms, store=store)
    env, streams = system.env, system.streams
    arrivals, service_stream = streams["arrivals"], streams["service"]
    service = distribution(config.service, 1.0 / config.service_rate, config.service_cv)
    n = config.jobs

    arrived = [math.nan] * n
    started = [math.nan] * n
    finished = [math.nan] * n
    work = [0.0] * n
    level_times: list[float] = [0.0]
    waiting_levels: list[int] = [0]
    busy_levels: list[int] = [0]
    state = {"waiting": 0, "busy": 0, "open": 0, "blocked_after_warmup": 0}
    done = env.event()

    def record() -> None:
        now = env.now
        if level_times[-1] == now:
            waiting_levels[-1], busy_levels[-1] = state["waiting"], state["busy"]
        else:
            level_times.append(now)
            waiting_levels.append(state["waiting"])
            busy_levels.append(state["busy"])

    def handler(run: Run) -> Generator[Any, Any, Any]:
        i = int(run.claimed.data)
        started[i] = env.now
        state["waiting"] -= 1
        state["busy"] += 1
        record()
        yield env.timeout(work[i])
        finished[i] = env.now
        state["busy"] -= 1
        state["open"] -= 1
        record()
        if state["open"] == 0 and state.get("arrivals_done") and not done.triggered:
            done.succeed()
        return result_outcome(run.claimed, None)

    settings = WorkerSettings(concurrency=config.concurrency, poll_interval=3600.0)
    for _ in range(config.workers):
        system.add_worker(handler, settings)

    def source() -> Generator[Any, Any, None]:
        mean_gap = 1.0 / config.arrival_rate
        for i in range(n):
            yield env.timeout(arrivals.exponential(mean_gap))
            work[i] = service.sample(service_stream)
            arrived[i] = env.now
            if config.capacity is not None and state["waiting"] + state["busy"] >= config.capacity:
                if i >= config.warmup:
                    state["blocked_after_warmup"] += 1
                continue
            state["waiting"] += 1
            state["open"] += 1
            record()
            system.submit([(str(i), DEFAULT_FIELDS)])
        state["arrivals_done"] = 1
        if state["open"] == 0 and not done.triggered:
            done.succeed()

    env.process(source())
    env.run(until=done)

    measured = [i for i in range(config.warmup, n) if not math.isnan(started[i])]
    waits = [started[i] - arrived[i] for i in measured]
    t0, t1 = arrived[config.warmup], arrived[n - 1]
    window = t1 - t0
    served_in_window = sum(1 for i in measured if t0 <= finished[i] <= t1)
    return QueueReplication(
        jobs=len(measured),
        mean_wait=math.fsum(waits) / len(waits) if waits else 0.0,
        p_wait=sum(1 for w in waits if w > 1e-12) / len(waits) if waits else 0.0,
        mean_queue_length=time_weighted_mean(level_times, waiting_levels, start=t0, end=t1),
        utilization=time_weighted_mean(level_times, busy_levels, start=t0, end=t1) / config.servers,
        throughput=served_in_window / window,
        blocking=state["blocked_after_warmup"] / (n - config.warmup),
        mean_time_in_system=math.fsum(finished[i] - arrived[i] for i in measured) / max(1, len(measured)),
        round_trips_per_job=system.round_trips() / n,
        waits=tuple(waits),
    )


def queue_replications(
    config: QueueConfig, seed: int, replications: int, *, store: StoreFactory | None = None
) -> list[functools.partial[QueueReplication]]:
    """The replications of ``config`` as tasks for an executor (:mod:`queuesim.sim.executor`)."""
    return [functools.partial(run_queue_replication, config, seed, r, store=store) for r in range(replications)]


def simulate_queue(
    config: QueueConfig,
    *,
    seed: int = 1,
    replications: int = 10,
    progress: Progress | None = None,
    store: StoreFactory | None = None,
    executor: Executor | int | None = None,
) -> QueueResult:
    """Run ``replications`` independent replications of ``config`` and summarise them.

    Args:
        seed: the root seed; replication r uses streams ``(seed, r)``.
        progress: wraps the iterable of finished replications (e.g. ``tqdm``) to show progress.
        store: see :func:`run_queue_replication` (a module-level function to run in other processes).
        executor: where the replications run (:mod:`queuesim.sim.executor`): ``None`` here,
            one after another; a number of processes; or an :class:`~queuesim.sim.executor.Executor`
            (processes, a Dask cluster). The result is the same wherever they run.
    """
    check_count(replications, "replications", 2)
    with using_executor(executor) as running:
        runs = running.run(queue_replications(config, seed, replications, store=store), progress)
    return summarize_queue(config, runs)


def summarize_queue(config: QueueConfig, runs: Sequence[QueueReplication]) -> QueueResult:
    """Summaries over ``runs`` (the replications of ``config``, in replication order)."""
    pooled = [w for run in runs for w in run.waits]
    return QueueResult(
        config=config,
        replications=len(runs),
        mean_wait=summarize(r.mean_wait for r in runs),
        p_wait=summarize(r.p_wait for r in runs),
        mean_queue_length=summarize(r.mean_queue_length for r in runs),
        utilization=summarize(r.utilization for r in runs),
        throughput=summarize(r.throughput for r in runs),
        blocking=summarize(r.blocking for r in runs),
        mean_time_in_system=summarize(r.mean_time_in_system for r in runs),
        wait_percentiles=percentiles(pooled, (50, 90, 99)) if pooled else {},
        round_trips_per_job=math.fsum(r.round_trips_per_job for r in runs) / len(runs),
        theory=theory_for(config),
        waits=tuple(pooled),
    )
