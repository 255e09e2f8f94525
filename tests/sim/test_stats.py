"""Output analysis: t quantiles, confidence intervals, batch means, time averages, warm-up, percentiles."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from queuesim.sim.stats import (
    Summary,
    TimeAverage,
    batch_means,
    coverage,
    paired_difference,
    percentile,
    percentiles,
    replications_needed,
    settling_index,
    summarize,
    t_quantile,
    time_weighted_mean,
    values_after,
    welch_average,
    wilson_interval,
)
from queuesim.sim.streams import RandomStreams

# t_{df, 0.975} from standard tables (10 significant digits)
T_975 = {
    1: 12.70620474,
    2: 4.302652730,
    3: 3.182446305,
    5: 2.570581836,
    10: 2.228138852,
    19: 2.093024054,
    30: 2.042272456,
    60: 2.000297822,
    120: 1.979930405,
}


@pytest.mark.parametrize(("df", "expected"), sorted(T_975.items()))
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-9)


def test_t_quantile_other_levels_and_limits() -> None:
    assert t_quantile(0.995, 9) == pytest.approx(3.249835542, rel=1e-9)
    assert t_quantile(0.95, 4) == pytest.approx(2.131846786, rel=1e-9)
    assert t_quantile(0.025, 10) == -t_quantile(0.975, 10)
    assert t_quantile(0.5, 3) == 0.0
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959963985, rel=1e-9)
    # fractional df (Welch's test); checked by integrating the t density numerically
    assert t_quantile(0.975, 2.5) == pytest.approx(3.574654842, rel=1e-9)
    values = [t_quantile(0.975, df) for df in range(1, 200)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (0.9, 0), (0.9, -1), (0.9, math.inf)])
def test_t_quantile_rejects_bad_arguments(p: float, df: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        t_quantile(p, df)


def test_summarize_known_data() -> None:
    s = summarize([1, 2, 3, 4, 5])
    assert (s.n, s.mean) == (5, 3.0)
    assert s.std == pytest.approx(math.sqrt(2.5))
    assert s.half_width == pytest.approx(2.776445105 * math.sqrt(2.5) / math.sqrt(5))
    assert s.low == pytest.approx(3.0 - s.half_width)
    assert s.high == pytest.approx(3.0 + s.half_width)
    assert s.contains(4.9)
    assert not s.contains(5.0)
    assert json.loads(json.dumps(s.to_dict())) == s.to_dict()


def test_summarize_single_value_has_no_interval() -> None:
    s = summarize([2.5])
    assert s == Summary(1, 2.5, 0.0, None, 0.95)
    assert s.low is None
    assert not s.contains(2.5)
    assert s.to_dict()["half_width"] is None


@pytest.mark.parametrize(
    ("values", "match"), [([], "no values"), ([1.0, math.nan], "finite"), ([1.0, math.inf], "finite")]
)
def test_summarize_rejects_bad_data(values: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        summarize(values)
    with pytest.raises(ValueError, match="confidence"):
        summarize([1.0, 2.0], confidence=1.0)


def test_ninety_five_percent_intervals_cover_about_95_percent() -> None:
    stream = RandomStreams(123)["normal"]
    covered = sum(summarize([stream.normal(5.0, 2.0) for _ in range(10)]).contains(5.0) for _ in range(1000))
    assert 930 <= covered <= 970  # binomial sd ≈ 7


def test_covers_is_the_interval_nothing_looser() -> None:
    s = Summary(n=20, mean=1.0, std=0.1, half_width=0.05, confidence=0.95)
    assert s.covers(1.049)
    assert s.covers(0.951)
    assert not s.covers(1.051)  # a 5 % tolerance, or 3 half-widths, would have said "agrees"
    assert not Summary(n=1, mean=1.0, std=0.0, half_width=None).covers(1.0)


def test_with_confidence_widens_or_narrows_the_same_interval() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0])
    wide = s.with_confidence(0.99)
    assert (wide.n, wide.mean, wide.std, wide.confidence) == (s.n, s.mean, s.std, 0.99)
    assert wide.half_width == pytest.approx(summarize([1.0, 2.0, 3.0, 4.0], confidence=0.99).half_width)
    assert wide.half_width > s.half_width  # type: ignore[operator]
    assert summarize([2.0]).with_confidence(0.9).half_width is None
    with pytest.raises(ValueError, match="confidence"):
        s.with_confidence(1.5)


def test_coverage_counts_the_intervals_that_hold_the_truth() -> None:
    stream = RandomStreams(7)["normal"]
    result = coverage((summarize([stream.normal(0.0, 1.0) for _ in range(8)]) for _ in range(400)), 0.0)
    assert (result.trials, result.nominal) == (400, 0.95)
    assert 0.92 <= result.fraction <= 0.98
    low, high = result.interval
    assert low < result.fraction < high
    biased = coverage((summarize([stream.normal(0.5, 1.0) for _ in range(8)]) for _ in range(400)), 0.0)
    assert biased.fraction < 0.8  # a simulation half a standard deviation off is caught
    assert coverage([summarize([1.0, 2.0])], 1.5).to_dict()["hits"] == 1
    with pytest.raises(ValueError, match="at least one"):
        coverage([], 0.0)
    with pytest.raises(ValueError, match="one confidence level"):
        coverage([summarize([1.0, 2.0]), summarize([1.0, 2.0], confidence=0.9)], 1.5)


def test_wilson_interval() -> None:
    low, high = wilson_interval(95, 100)
    assert (low, high) == pytest.approx((0.8882, 0.9785), abs=1e-4)  # Wilson's score interval, z = 1.96
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="trials must be"):
        wilson_interval(1, -1)


def test_paired_difference() -> None:
    d = paired_difference([3.0, 5.0, 7.0], [1.0, 2.0, 3.0])
    assert d.mean == 3.0
    assert d.n == 3
    with pytest.raises(ValueError, match="equally many"):
        paired_difference([1.0], [1.0, 2.0])


def test_batch_means() -> None:
    values = [float(i % 7) for i in range(1003)]
    s = batch_means(values, batches=10)
    assert s.n == 10
    assert s.mean == pytest.approx(sum(values[:1000]) / 1000)
    with pytest.raises(ValueError, match="cannot fill"):
        batch_means([1.0, 2.0, 3.0], batches=5)
    with pytest.raises(ValueError, match="batches must be an int ≥ 2"):
        batch_means(values, batches=1)


def test_replications_needed() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert replications_needed(s, s.half_width) == 5  # type: ignore[arg-type]
    assert replications_needed(s, 0.5) == math.ceil((2.776445105 * math.sqrt(2.5) / 0.5) ** 2)
    with pytest.raises(ValueError, match="half_width must be > 0"):
        replications_needed(s, 0.0)


def test_percentiles_match_numpy() -> None:
    stream = RandomStreams(5)["x"]
    values = [stream.exponential(1.0) for _ in range(1001)]
    for q in (0, 1, 50, 90, 99, 99.9, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-12)
    assert list(percentiles(values, (50, 99.9))) == ["p50", "p99.9"]
    assert percentiles([4.0]) == {"p50": 4.0, "p90": 4.0, "p95": 4.0, "p99": 4.0}
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile(values, 101)


def test_time_average_of_a_step_function() -> None:
    # level 0 on [0,1), 2 on [1,3), 1 on [3,4]
    avg = TimeAverage()
    avg.update(1.0, 2.0)
    avg.add(3.0, -1.0)
    assert avg.mean(4.0) == pytest.approx(5.0 / 4.0)
    assert avg.level == 1.0
    assert avg.maximum == 2.0

    late = TimeAverage(warmup=2.0)
    late.update(1.0, 5.0)  # before the warm-up: not counted
    late.update(1.5, 2.0)
    late.update(3.0, 1.0)
    assert late.mean(4.0) == pytest.approx(1.5)
    assert late.maximum == 2.0
    with pytest.raises(ValueError, match="backwards"):
        late.update(2.0, 0.0)
    with pytest.raises(ValueError, match="no time has passed"):
        TimeAverage(warmup=5.0).mean(5.0)


def test_time_weighted_mean() -> None:
    times, levels = [0.0, 1.0, 3.0], [0.0, 2.0, 1.0]
    assert time_weighted_mean(times, levels, start=0.0, end=4.0) == pytest.approx(1.25)
    assert time_weighted_mean(times, levels, start=2.0, end=4.0) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="must not decrease"):
        time_weighted_mean([0.0, 2.0, 1.0], levels, start=0.0, end=4.0)
    with pytest.raises(ValueError, match="end must be after start"):
        time_weighted_mean(times, levels, start=2.0, end=2.0)


def test_values_after_warmup() -> None:
    assert values_after([0.5, 1.0, 2.0], [10.0, 20.0, 30.0], 1.0) == [20.0, 30.0]


def test_welch_average() -> None:
    reps = [[1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0, 7.0]]  # average: 2, 3, 4, 5, 6
    assert welch_average(reps, 0) == [2.0, 3.0, 4.0, 5.0, 6.0]
    # i=0: y0; i=1: mean(y0..y2); i=2: mean(y0..y4); then m - w = 3 points
    assert welch_average(reps, 2) == [2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="equal length"):
        welch_average([[1.0, 2.0], [1.0]], 0)
    with pytest.raises(ValueError, match="window"):
        welch_average(reps, 3)


def test_settling_index_finds_where_a_curve_flattens() -> None:
    curve = [1.0 - math.exp(-i / 10) for i in range(200)]
    i = settling_index(curve, rel_tol=0.05)
    assert curve[i] >= 0.95 * curve[-1]
    assert curve[i - 1] < 0.95 * 1.0
    assert 25 <= i <= 32
