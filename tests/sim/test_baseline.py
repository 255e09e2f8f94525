"""The minimal SimPy M/M/c model agrees with Erlang C (and is reproducible)."""

from __future__ import annotations

import pytest

from queuesim.sim.baseline import MinimalResult, simulate_mmc_minimal
from queuesim.sim.stats import summarize
from queuesim.sim.theory import mmc

REPLICATIONS = 20


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.5, 1.0, 1), (1.6, 1.0, 2), (2.4, 1.0, 4)])
def test_agrees_with_erlang_c(lam: float, mu: float, c: int) -> None:
    runs = [
        simulate_mmc_minimal(lam, mu, c, 4000, seed=2024, warmup_jobs=400, replication=i)
        for i in range(REPLICATIONS)
    ]
    theory = mmc(lam, mu, c)
    wait = summarize(r.mean_wait for r in runs)
    p_wait = summarize(r.p_wait for r in runs)
    sojourn = summarize(r.mean_time_in_system for r in runs)
    # 99% intervals: each misses the truth 1 time in 100 when the model is right (the seed is fixed, never tuned);
    # how often the 95% intervals cover it over many seeds is tests/sim/test_coverage.py's question
    for summary, expected in ((wait, theory.mean_wait), (p_wait, theory.p_wait),
                              (sojourn, theory.mean_time_in_system)):
        assert summary.with_confidence(0.99).covers(expected), (summary, expected)


def test_same_seed_same_result_and_replications_differ() -> None:
    a = simulate_mmc_minimal(0.8, 1.0, 1, 500, seed=3)
    assert a == simulate_mmc_minimal(0.8, 1.0, 1, 500, seed=3)
    assert a != simulate_mmc_minimal(0.8, 1.0, 1, 500, seed=3, replication=1)
    assert isinstance(a, MinimalResult)
    assert a.jobs == 500
    assert a.to_dict()["jobs"] == 500
    assert simulate_mmc_minimal(0.8, 1.0, 1, 500, seed=3, warmup_jobs=100).jobs == 400


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lam": 0.0}, "lam must be a positive"),
        ({"mu": -1.0}, "mu must be a positive"),
        ({"c": 0}, "c must be an int ≥ 1"),
        ({"n_jobs": 0}, "n_jobs must be an int ≥ 1"),
        ({"warmup_jobs": 10}, "warmup_jobs .* must be fewer than n_jobs"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, float], match: str) -> None:
    args = {"lam": 0.5, "mu": 1.0, "c": 1, "n_jobs": 10, "seed": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_mmc_minimal(**args)  # type: ignore[arg-type]
