"""The queue scenario agrees with queueing theory (the project's rule: within max(3 CI half-widths, 5 %)).

Seeds are fixed up front and never tuned: a miss here is a bug (one was: a wake-up
that reached a busy worker instead of an idle one made waits with 4 workers 3x too long).
"""

from __future__ import annotations

import pytest

from queuesim.sim.queue_scenario import QueueConfig, simulate_queue

CASES = [
    pytest.param(QueueConfig(0.5, 1.0, 1, jobs=1_500, warmup=150), id="M/M/1 rho=0.5"),
    pytest.param(QueueConfig(2.4, 1.0, 4, jobs=1_500, warmup=150), id="M/M/4 rho=0.6"),
    pytest.param(QueueConfig(1.6, 1.0, 4, jobs=1_500, warmup=150), id="M/M/4 rho=0.4"),
    pytest.param(QueueConfig(1.5, 1.0, 2, capacity=4, jobs=1_500, warmup=150), id="M/M/2/4"),
    pytest.param(QueueConfig(0.6, 1.0, 1, service="det", jobs=1_500, warmup=150), id="M/D/1 rho=0.6"),
]
REPLICATIONS = 20


@pytest.mark.slow
@pytest.mark.parametrize("config", CASES)
def test_simulated_means_agree_with_theory(config: QueueConfig) -> None:
    result = simulate_queue(config, seed=2026, replications=REPLICATIONS)
    theory = result.theory
    assert theory is not None
    for name in ("mean_wait", "p_wait", "mean_queue_length", "utilization", "throughput"):
        summary = getattr(result, name)
        expected = float(getattr(theory, name))
        assert summary.agrees_with(expected), f"{name}: {summary.mean:.4f} ± {summary.half_width} vs {expected:.4f}"
    if config.capacity is not None:
        assert result.blocking.agrees_with(float(theory.blocking))
    assert result.little_gap() < 0.05
