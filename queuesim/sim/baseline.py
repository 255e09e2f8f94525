"""A minimal hand-written SimPy M/M/c model: the speed reference and a sanity check of the method.

It is the smallest honest SimPy model of the system the queue scenario runs
through the real queue logic, built the way every SimPy tutorial builds it (a
``Resource`` with c servers, one process per job). The benchmark measures how many
jobs per wall-second the real-logic simulation runs against this one. It draws
from the same named streams (``arrivals``, ``service``), each job's service time
drawn when it arrives, so a real-logic run on the same seed sees the same jobs.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

import simpy

from queuesim.sim._checks import check_count, check_positive
from queuesim.sim.streams import RandomStreams

__all__ = ["MinimalResult", "simulate_mmc_minimal"]


@dataclass(frozen=True, slots=True)
class MinimalResult:
    """What one run of the minimal model measured, over the jobs after the warm-up."""

    #: Jobs measured (the warm-up jobs are not counted).
    jobs: int
    #: Mean time from arrival to start of service (Wq).
    mean_wait: float
    #: Fraction of measured jobs that waited at all.
    p_wait: float
    #: Mean time from arrival to departure (W).
    mean_time_in_system: float
    #: Simulated time when the last job left.
    end_time: float

    def to_dict(self) -> dict[str, float | int]:
        """The result as a dict."""
        return asdict(self)


def simulate_mmc_minimal(
    lam: float,
    mu: float,
    c: int,
    n_jobs: int,
    seed: int,
    *,
    warmup_jobs: int = 0,
    replication: int = 0,
) -> MinimalResult:
    """Simulate ``n_jobs`` Poisson arrivals (rate ``lam``) served FIFO by ``c`` servers (rate ``mu`` each).

    The first ``warmup_jobs`` jobs run but are left out of the averages.
    """
    lam = check_positive(lam, "lam")
    mu = check_positive(mu, "mu")
    check_count(c, "c", 1)
    check_count(n_jobs, "n_jobs", 1)
    check_count(warmup_jobs, "warmup_jobs")
    if warmup_jobs >= n_jobs:
        raise ValueError(f"warmup_jobs ({warmup_jobs}) must be fewer than n_jobs ({n_jobs})")

    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    streams = RandomStreams(seed, replication)
    arrivals, service = streams["arrivals"], streams["service"]
    mean_gap, mean_service = 1.0 / lam, 1.0 / mu
    waits = [0.0] * n_jobs
    sojourns = [0.0] * n_jobs

    def job(i: int, arrived: float, work: float) -> Generator[Any, Any, None]:
        with servers.request() as request:
            yield request
            waits[i] = env.now - arrived
            yield env.timeout(work)
        sojourns[i] = env.now - arrived

    def source() -> Generator[Any, Any, None]:
        for i in range(n_jobs):
            yield env.timeout(arrivals.exponential(mean_gap))
            env.process(job(i, env.now, service.exponential(mean_service)))

    env.process(source())
    env.run()
    measured = waits[warmup_jobs:]
    n = len(measured)
    return MinimalResult(
        jobs=n,
        mean_wait=math.fsum(measured) / n,
        p_wait=sum(w > 0 for w in measured) / n,
        mean_time_in_system=math.fsum(sojourns[warmup_jobs:]) / n,
        end_time=float(env.now),
    )
