"""Named random streams: bit-for-bit reproducible, independent of each other and of request order."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from queuesim.sim.distributions import (
    Deterministic,
    Distribution,
    Exponential,
    LogNormal,
    distribution,
)
from queuesim.sim.streams import RandomStreams, _name_key


def draws(streams: RandomStreams, name: str, n: int = 10) -> list[float]:
    return [streams[name].random() for _ in range(n)]


def test_same_seed_same_draws_bit_for_bit() -> None:
    a, b = RandomStreams(7), RandomStreams(7)
    assert draws(a, "arrivals", 10_000) == draws(b, "arrivals", 10_000)  # crosses buffer refills
    assert [a["service"].exponential(2.0) for _ in range(100)] == [
        b["service"].exponential(2.0) for _ in range(100)
    ]


def test_stream_is_the_documented_seed_sequence() -> None:
    """Pins the construction: SeedSequence(seed, spawn_key=(replication, blake2b(name))) → PCG64."""
    expected = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(42, spawn_key=(3, _name_key("network"))))
    ).random(5000)
    assert draws(RandomStreams(42, 3), "network", 5000) == expected.tolist()


def test_pinned_first_draws() -> None:
    assert draws(RandomStreams(42), "arrivals", 3) == [
        0.8237620237356059,
        0.7831968630129771,
        0.6122754940248762,
    ]


def test_stable_across_processes_with_different_hash_seeds() -> None:
    code = "from queuesim.sim.streams import RandomStreams; print(RandomStreams(5)['faults'].random().hex())"
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(out.stdout.strip())
    assert outputs == {RandomStreams(5)["faults"].random().hex()}


def test_a_stream_does_not_depend_on_other_streams_or_request_order() -> None:
    plain = RandomStreams(11)
    busy = RandomStreams(11)
    busy["faults"].random()
    draws(busy, "service", 5000)
    assert draws(busy, "arrivals", 50) == draws(plain, "arrivals", 50)
    assert busy.names() == ["arrivals", "faults", "service"]


def test_names_seeds_and_replications_give_different_streams() -> None:
    base = draws(RandomStreams(1), "arrivals")
    assert draws(RandomStreams(1), "service") != base
    assert draws(RandomStreams(2), "arrivals") != base
    assert draws(RandomStreams(1, 1), "arrivals") != base
    assert draws(RandomStreams(1).replication(1), "arrivals") == draws(RandomStreams(1, 1), "arrivals")


def test_same_stream_object_is_returned() -> None:
    s = RandomStreams(3)
    assert s["arrivals"] is s.stream("arrivals")
    assert repr(s["arrivals"]) == "<Stream arrivals>"


def test_streams_are_uncorrelated() -> None:
    s = RandomStreams(2024)
    n = 20_000
    x = np.array(draws(s, "arrivals", n))
    y = np.array(draws(s, "service", n))
    # |r| of independent uniforms has sd 1/√n ≈ 0.007; 0.03 is over 4 sd
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.03
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.03
    assert x.min() >= 0.0
    assert x.max() < 1.0


@pytest.mark.parametrize(
    "dist",
    [Exponential(2.0), LogNormal(0.5, 1.5), LogNormal(3.0, 0.25), Deterministic(1.25)],
    ids=repr,
)
def test_sampled_mean_and_variability_match_the_distribution(dist: Distribution) -> None:
    stream = RandomStreams(99)["service"]
    xs = np.array([dist.sample(stream) for _ in range(40_000)])
    # the sample mean's sd is mean·cv/√n ≤ 0.75% here; allow 4 sd
    assert xs.mean() == pytest.approx(dist.mean, rel=0.03)
    scv = xs.var() / xs.mean() ** 2
    assert scv == pytest.approx(dist.scv, abs=0.25 * max(dist.scv, 0.04))
    assert (xs >= 0).all()


def test_every_variate_uses_exactly_one_uniform() -> None:
    """So switching distributions keeps the rest of the stream aligned (common random numbers)."""
    reference = draws(RandomStreams(8), "service", 4)
    for dist in (Exponential(1.0), LogNormal(1.0, 0.5), Deterministic(1.0)):
        stream = RandomStreams(8)["service"]
        dist.sample(stream)
        assert [stream.random() for _ in range(3)] == reference[1:]


def test_exponential_is_inversion_of_the_uniform() -> None:
    u = RandomStreams(4)["x"].random()
    assert RandomStreams(4)["x"].exponential(3.0) == -3.0 * math.log(1.0 - u)


def test_other_draws() -> None:
    s = RandomStreams(6)["x"]
    assert all(2.0 <= s.uniform(2.0, 5.0) < 5.0 for _ in range(1000))
    assert {s.randrange(3) for _ in range(1000)} == {0, 1, 2}
    hits = sum(s.bernoulli(0.25) for _ in range(10_000))
    assert 2300 < hits < 2700
    normals = [s.normal(10.0, 2.0) for _ in range(10_000)]
    assert np.mean(normals) == pytest.approx(10.0, abs=0.1)
    assert np.std(normals) == pytest.approx(2.0, rel=0.05)


def test_distribution_factory() -> None:
    assert distribution("exp", 2.0) == Exponential(2.0)
    assert distribution("Exponential", 2.0) == Exponential(2.0)
    assert distribution("det", 0.5) == Deterministic(0.5)
    assert distribution("lognormal", 1.0, cv=2.0) == LogNormal(1.0, 2.0)
    assert LogNormal(1.0, 2.0).scv == 4.0
    assert Exponential(1.0).scv == 1.0
    assert Deterministic(1.0).scv == 0.0
    with pytest.raises(ValueError, match="unknown distribution 'gamma'; choose one of exp, det, lognormal"):
        distribution("gamma", 1.0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Exponential(0.0), "mean must be a positive"),
        (lambda: Exponential(-1.0), "mean must be a positive"),
        (lambda: LogNormal(1.0, 0.0), "cv must be a positive"),
        (lambda: Deterministic(-0.1), "mean must be a finite number ≥ 0"),
        (lambda: Deterministic(math.inf), "mean must be a finite number ≥ 0"),
        (lambda: RandomStreams(-1), "seed must be an int ≥ 0"),
        (lambda: RandomStreams(True), "seed must be an int ≥ 0"),
        (lambda: RandomStreams(1, -2), "replication must be an int ≥ 0"),
        (lambda: RandomStreams(1)[""], "stream name must be a non-empty string"),
        (lambda: RandomStreams(1)["x"].randrange(0), "randrange needs n ≥ 1"),
    ],
)
def test_invalid_arguments(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]
