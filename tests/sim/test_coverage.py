"""Coverage: over 100 seeds, the queue scenario's 95% interval of the mean wait covers M/M/1's Wq 90-99% of the time.

One interval that misses theory proves nothing (a correct simulation misses 1 time
in 20); a simulation that misses much more often than that is biased, and one that
never misses has intervals too wide to say anything. Short runs make the
per-replication means skewed, so even a correct simulation covers a little less
than 95% here (about 93.6% over 1,000 seeds of this configuration); 90-99% is the
band the issue asks for. Seeds 0-99 are used as they come, never chosen.
"""

from __future__ import annotations

import pytest

from queuesim.sim.queue_scenario import QueueConfig, simulate_queue
from queuesim.sim.stats import coverage
from queuesim.sim.theory import mm1

SEEDS = 100
CONFIG = QueueConfig(arrival_rate=0.5, service_rate=1.0, workers=1, jobs=200, warmup=40)
REPLICATIONS = 8


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_95_percent_intervals_of_the_mean_wait_cover_theory_90_to_99_percent_of_the_time() -> None:
    truth = float(mm1(CONFIG.arrival_rate, CONFIG.service_rate).mean_wait)
    result = coverage(
        (simulate_queue(CONFIG, seed=seed, replications=REPLICATIONS).mean_wait for seed in range(SEEDS)), truth
    )
    low, high = result.interval
    print(f"coverage of Wq = {truth:g} by 95% intervals: {result.hits}/{result.trials} = {result.fraction:.0%} "
          f"(Wilson 95% interval {low:.0%}-{high:.0%})")
    assert result.trials == SEEDS
    assert 0.90 <= result.fraction <= 0.99
