"""Output analysis: replication summaries with t confidence intervals, batch means, warm-up, percentiles.

Methodology (Law, *Simulation Modeling and Analysis*, ch. 9): run R independent
replications, take one number per replication (say its mean wait after the
warm-up), and report x̄ ± t_{R−1, 1−α/2}·s/√R. The t quantile is computed here
from the regularised incomplete beta function, exact to ~1e-12 for any degrees of
freedom and confidence level, so scipy is not needed.

Agreement with theory is reported honestly: an interval either covers the
theoretical value or it does not (:meth:`Summary.covers`), and a correct
simulation's 95% intervals cover the truth about 95% of the time, which
:func:`coverage` measures over many seeds.

Results are frozen dataclasses with ``to_dict()`` for JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

__all__ = [
    "Coverage",
    "Summary",
    "TimeAverage",
    "batch_means",
    "coverage",
    "paired_difference",
    "percentile",
    "percentiles",
    "replications_needed",
    "settling_index",
    "summarize",
    "t_quantile",
    "time_weighted_mean",
    "values_after",
    "welch_average",
    "wilson_interval",
]


# --- Student's t quantile -------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz method)."""
    tiny = 1e-300
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            delta = c * d
            h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t ≥ 0 and Student's t with ``df`` degrees of freedom."""
    return 0.5 * _regularized_beta(df / 2.0, 0.5, df / (df + t * t))


@lru_cache(maxsize=1024)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``df`` may be fractional).

    ``t_quantile(0.975, 19)`` ≈ 2.093 is the multiplier of a 95% CI from 20 replications.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    if not df > 0 or not math.isfinite(df):
        raise ValueError(f"degrees of freedom must be a positive finite number, got {df!r}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    if df > 1e7:
        return NormalDist().inv_cdf(p)
    tail = 1.0 - p
    low, high = 0.0, max(1.0, NormalDist().inv_cdf(p))
    while _t_upper_tail(high, df) > tail:
        low, high = high, high * 2.0
    for _ in range(200):  # bisection: the tail is monotone in t
        mid = (low + high) / 2.0
        if mid in (low, high):
            break
        if _t_upper_tail(mid, df) > tail:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


# --- Replication summaries ------------------------------------------------------------------------


def _finite_values(values: Iterable[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    if not out:
        raise ValueError(f"{what}: no values to summarise")
    bad = [v for v in out if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{what}: values must be finite, got {bad[0]!r}")
    return out


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


@dataclass(frozen=True, slots=True)
class Summary:
    """Mean of independent observations with a t confidence interval.

    ``half_width`` is ``None`` when there is a single observation (no interval).
    """

    #: Number of observations (replications or batches).
    n: int
    #: Sample mean x̄.
    mean: float
    #: Sample standard deviation s (n − 1 in the denominator; 0 for one observation).
    std: float
    #: t_{n−1, (1+confidence)/2} · s/√n, or ``None`` for n = 1.
    half_width: float | None
    #: Confidence level of the interval.
    confidence: float = 0.95

    @property
    def low(self) -> float | None:
        """Lower end of the interval."""
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        """Upper end of the interval."""
        return None if self.half_width is None else self.mean + self.half_width

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval (False without an interval)."""
        return self.half_width is not None and abs(value - self.mean) <= self.half_width

    def covers(self, value: float) -> bool:
        """Whether the interval covers ``value``, e.g. a theoretical mean: the honest verdict.

        A correct simulation's 95% intervals miss the truth about 1 time in 20, so one
        miss is no proof of a bug; a simulation whose intervals miss far more often
        than that is wrong (:func:`coverage` measures how often).
        """
        return self.contains(value)

    def with_confidence(self, confidence: float) -> Summary:
        """The same observations summarised at another confidence level (e.g. 0.99)."""
        _check_confidence(confidence)
        if self.n == 1:
            return Summary(1, self.mean, 0.0, None, confidence)
        half = t_quantile((1.0 + confidence) / 2.0, self.n - 1) * self.std / math.sqrt(self.n)
        return Summary(self.n, self.mean, self.std, half, confidence)

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain data for JSON: n, mean, std, half_width, low, high, confidence."""
        return {
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "half_width": self.half_width,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
        }


def summarize(values: Iterable[float], confidence: float = 0.95) -> Summary:
    """Mean and t confidence interval of independent observations (e.g. one mean per replication)."""
    _check_confidence(confidence)
    xs = _finite_values(values, "summarize")
    n = len(xs)
    mean = math.fsum(xs) / n
    if n == 1:
        return Summary(1, mean, 0.0, None, confidence)
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    std = math.sqrt(var)
    half = t_quantile((1.0 + confidence) / 2.0, n - 1) * std / math.sqrt(n)
    return Summary(n, mean, std, half, confidence)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (e.g. how often intervals covered the truth).

    Better than p ± z·√(p(1−p)/n) near 0 and 1, where the proportion of hits is.
    """
    _check_confidence(confidence)
    for value, name in ((successes, "successes"), (trials, "trials")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int ≥ 0, got {value!r}")
    if trials == 0 or successes > trials:
        raise ValueError(f"need 0 ≤ successes ≤ trials and trials ≥ 1, got {successes} of {trials}")
    z = NormalDist().inv_cdf((1.0 + confidence) / 2.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exactly 0 and 1 at the ends, not 1e-17 off
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, slots=True)
class Coverage:
    """How often confidence intervals covered a true value, over independent experiments."""

    #: Intervals that covered the true value.
    hits: int
    #: Intervals in all.
    trials: int
    #: The confidence level the intervals were built for (their nominal coverage).
    nominal: float
    #: Wilson 95% interval of the coverage fraction.
    interval: tuple[float, float]

    @property
    def fraction(self) -> float:
        """hits / trials: near ``nominal`` for a correct simulation."""
        return self.hits / self.trials

    def to_dict(self) -> dict[str, float | int | list[float]]:
        """Plain data for JSON."""
        return {"hits": self.hits, "trials": self.trials, "fraction": self.fraction, "nominal": self.nominal,
                "interval": list(self.interval)}


def coverage(summaries: Iterable[Summary], truth: float) -> Coverage:
    """How many of ``summaries``' intervals cover ``truth``, with a Wilson interval for the fraction.

    Each summary should come from an independent experiment (another seed). A
    correct simulation's 95% intervals cover the truth about 95% of the time;
    much less means a biased simulation, too short a run, or too little warm-up.
    """
    items = list(summaries)
    if not items:
        raise ValueError("coverage needs at least one summary")
    levels = {item.confidence for item in items}
    if len(levels) != 1:
        raise ValueError(f"coverage needs intervals of one confidence level, got {sorted(levels)}")
    hits = sum(item.covers(truth) for item in items)
    return Coverage(hits, len(items), levels.pop(), wilson_interval(hits, len(items)))


def paired_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Summary:
    """CI of the mean difference a_i − b_i of paired runs (same seed per pair: common random numbers)."""
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs equally many runs, got {len(a)} and {len(b)}")
    return summarize((x - y for x, y in zip(a, b, strict=True)), confidence)


def batch_means(values: Sequence[float], batches: int = 20, confidence: float = 0.95) -> Summary:
    """CI from one long run: split the (warm-up deleted) observations into ``batches`` equal batches.

    Leftover observations at the end are dropped. Batches must be long enough for
    their means to be nearly independent; 10–30 batches is the usual choice.
    """
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 2:
        raise ValueError(f"batches must be an int ≥ 2, got {batches!r}")
    xs = _finite_values(values, "batch_means")
    size = len(xs) // batches
    if size < 1:
        raise ValueError(f"batch_means: {len(xs)} observations cannot fill {batches} batches")
    means = [math.fsum(xs[i * size : (i + 1) * size]) / size for i in range(batches)]
    return summarize(means, confidence)


def replications_needed(summary: Summary, half_width: float) -> int:
    """About how many replications give a CI of ``half_width``: ⌈(t·s/h)²⌉ (at least the current n)."""
    if not half_width > 0:
        raise ValueError(f"half_width must be > 0, got {half_width!r}")
    if summary.n < 2:
        raise ValueError("replications_needed needs a summary of at least 2 observations")
    t = t_quantile((1.0 + summary.confidence) / 2.0, summary.n - 1)
    needed = (t * summary.std / half_width) ** 2
    return max(summary.n, math.ceil(needed - 1e-9))  # no extra run for rounding noise


# --- Percentiles ----------------------------------------------------------------------------------


def _percentile_sorted(xs: Sequence[float], q: float) -> float:
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be between 0 and 100, got {q!r}")
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linear interpolation between order statistics (numpy's default)."""
    return _percentile_sorted(sorted(_finite_values(values, "percentile")), q)


def percentiles(values: Iterable[float], qs: Sequence[float] = (50, 90, 95, 99)) -> dict[str, float]:
    """Several percentiles at once, keyed ``"p50"``, ``"p99"``, ``"p99.9"``…"""
    xs = sorted(_finite_values(values, "percentiles"))
    return {f"p{q:g}": _percentile_sorted(xs, q) for q in qs}


# --- Time averages and warm-up --------------------------------------------------------------------


class TimeAverage:
    """Time-weighted average of a level that changes at instants (queue length, busy servers).

    Call :meth:`update` whenever the level changes; time before ``warmup`` is left out
    of the average, so the initial transient does not bias it.
    """

    __slots__ = ("_area", "_last_time", "_level", "_start", "maximum")

    def __init__(self, start: float = 0.0, level: float = 0.0, *, warmup: float = 0.0) -> None:
        self._start = max(start, warmup)
        self._last_time = start
        self._level = level
        self._area = 0.0
        #: Highest level seen after the warm-up.
        self.maximum = level if start >= warmup else -math.inf

    def __repr__(self) -> str:
        return f"<TimeAverage level={self._level} since={self._start}>"

    @property
    def level(self) -> float:
        """The current level."""
        return self._level

    def update(self, now: float, level: float) -> None:
        """The level becomes ``level`` at time ``now`` (times must not go backwards)."""
        if now < self._last_time:
            raise ValueError(f"time went backwards: {now} < {self._last_time}")
        begin = max(self._last_time, self._start)
        if now > begin:
            self._area += self._level * (now - begin)
        if now > self._start:  # the old level was held after the warm-up
            self.maximum = max(self.maximum, self._level)
        if now >= self._start:
            self.maximum = max(self.maximum, level)
        self._last_time = now
        self._level = level

    def add(self, now: float, delta: float) -> None:
        """Change the level by ``delta`` at time ``now`` (+1 on arrival, −1 on departure)."""
        self.update(now, self._level + delta)

    def mean(self, now: float) -> float:
        """The time average over [max(start, warmup), now]."""
        if now < self._last_time:
            raise ValueError(f"time went backwards: {now} < {self._last_time}")
        span = now - self._start
        if span <= 0:
            raise ValueError(f"no time has passed after the warm-up (now={now}, from={self._start})")
        tail = self._level * (now - max(self._last_time, self._start))
        return (self._area + tail) / span


def time_weighted_mean(times: Sequence[float], levels: Sequence[float], *, start: float, end: float) -> float:
    """Time average over [start, end] of a step function: ``levels[i]`` holds from ``times[i]`` on.

    Before ``times[0]`` the level is taken as ``levels[0]``.
    """
    if len(times) != len(levels) or not times:
        raise ValueError("time_weighted_mean needs equally many times and levels, at least one")
    if not end > start:
        raise ValueError(f"end must be after start, got start={start}, end={end}")
    area = 0.0
    for i, level in enumerate(levels):
        begin = times[i] if i else -math.inf
        finish = times[i + 1] if i + 1 < len(times) else math.inf
        if finish < begin:
            raise ValueError(f"times must not decrease: {times[i + 1]} after {times[i]}")
        lo, hi = max(begin, start), min(finish, end)
        if hi > lo:
            area += level * (hi - lo)
    return area / (end - start)


def values_after(times: Sequence[float], values: Sequence[float], warmup: float) -> list[float]:
    """The observations made at or after ``warmup`` (e.g. waits of customers arriving after it)."""
    if len(times) != len(values):
        raise ValueError(f"values_after needs as many times as values, got {len(times)} and {len(values)}")
    return [v for t, v in zip(times, values, strict=True) if t >= warmup]


def welch_average(series: Sequence[Sequence[float]], window: int) -> list[float]:
    """Welch's procedure: average the replications period by period, then smooth with a moving window.

    Args:
        series: one sequence per replication, all the same length m (e.g. mean
            queue length in consecutive periods).
        window: w; point i averages the 2w+1 points around it (fewer near the start).

    Returns:
        m − w smoothed points. Plot them and pick the warm-up where the curve flattens
        (:func:`settling_index` suggests one).
    """
    rows = list(series)
    if not rows:
        raise ValueError("welch_average needs at least one replication")
    m = len(rows[0])
    if any(len(r) != m for r in rows):
        raise ValueError("welch_average needs series of equal length")
    if isinstance(window, bool) or not isinstance(window, int) or window < 0 or 2 * window + 1 > m:
        raise ValueError(f"window must be an int with 0 ≤ 2·window+1 ≤ {m}, got {window!r}")
    avg = [math.fsum(r[i] for r in rows) / len(rows) for i in range(m)]
    prefix = [0.0]
    for y in avg:
        prefix.append(prefix[-1] + y)
    out = []
    for i in range(m - window):
        half = min(i, window)
        out.append((prefix[i + half + 1] - prefix[i - half]) / (2 * half + 1))
    return out


def settling_index(curve: Sequence[float], rel_tol: float = 0.05) -> int:
    """A heuristic warm-up: the first index after which ``curve`` stays within ``rel_tol`` of its final level.

    The final level is the mean of the curve's second half. Use it on a Welch curve,
    and look at the plot too: no rule replaces the eye here.
    """
    if len(curve) < 2:
        raise ValueError("settling_index needs at least two points")
    tail = curve[len(curve) // 2 :]
    level = math.fsum(tail) / len(tail)
    band = rel_tol * abs(level)
    index = len(curve)
    for i in range(len(curve) - 1, -1, -1):
        if abs(curve[i] - level) > band:
            break
        index = i
    return index
