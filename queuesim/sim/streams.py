"""Random number streams: one seed, independent named streams, identical draws on every run.

Each source of randomness in a model (``arrivals``, ``service``, ``network``,
``faults``, …) draws from its own :class:`Stream`. A stream's state is derived from
the root seed, the replication number and the stream's *name* (hashed with BLAKE2b,
not Python's salted ``hash``) through :class:`numpy.random.SeedSequence`, so

* the same seed gives the same draws, bit for bit, on every run and machine;
* a stream does not depend on which other streams a model asks for, or in what
  order: two strategies compared on the same seed see the same arrivals and service
  times (common random numbers), even if only one of them uses a ``faults`` stream;
* replications and streams are statistically independent (SeedSequence hashing,
  PCG64 generators), unlike adjacent integer seeds fed to one Mersenne Twister.

Why a buffered numpy generator rather than ``random.Random`` or scalar numpy calls:
a scalar ``Generator.exponential()`` costs about 0.5 µs of call overhead, twice
``random.Random.expovariate``; a stream here fills a buffer of uniforms with one
vectorised call and hands them out one by one, which costs about the same as
``random.Random`` while keeping SeedSequence's independence guarantees. Every
variate is made from exactly one uniform by inversion, so switching a service
distribution (exponential → lognormal) keeps the streams synchronised too.
"""

from __future__ import annotations

import hashlib
import math
from statistics import NormalDist

import numpy as np

__all__ = ["RandomStreams", "Stream"]

_BUFFER = 4096
_STANDARD_NORMAL = NormalDist()
_SMALLEST_U = 2.0**-54  # stands in for u = 0 where a transform needs u in (0, 1)


def _name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (independent of PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


class Stream:
    """One named stream of random numbers; every draw consumes exactly one uniform."""

    __slots__ = ("_buffer", "_generator", "_index", "name")

    def __init__(self, name: str, seed_sequence: np.random.SeedSequence) -> None:
        self.name = name
        self._generator = np.random.Generator(np.random.PCG64(seed_sequence))
        self._buffer: list[float] = []
        self._index = 0

    def __repr__(self) -> str:
        return f"<Stream {self.name}>"

    def random(self) -> float:
        """A uniform draw in [0, 1)."""
        i = self._index
        if i >= len(self._buffer):
            self._buffer = self._generator.random(_BUFFER).tolist()
            i = 0
        self._index = i + 1
        return self._buffer[i]

    def uniform(self, low: float, high: float) -> float:
        """A uniform draw in [low, high)."""
        return low + (high - low) * self.random()

    def bernoulli(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.random() < p

    def exponential(self, mean: float) -> float:
        """An exponential draw with the given mean (rate 1/mean), by inversion."""
        return -mean * math.log(1.0 - self.random())

    def normal(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """A normal draw, by inversion of the normal CDF."""
        return mu + sigma * _STANDARD_NORMAL.inv_cdf(self.random() or _SMALLEST_U)

    def lognormal(self, mean: float, cv: float) -> float:
        """A lognormal draw with the given mean and coefficient of variation (sd/mean)."""
        sigma2 = math.log1p(cv * cv)
        return math.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * self.normal())

    def randrange(self, n: int) -> int:
        """An integer in range(n), each equally likely."""
        if n <= 0:
            raise ValueError(f"randrange needs n ≥ 1, got {n}")
        return min(int(self.random() * n), n - 1)


class RandomStreams:
    """Independent named :class:`Stream` s derived from one seed (and a replication number).

    ``streams["arrivals"]`` returns the same stream object on every call; two
    ``RandomStreams(seed)`` give identical draws. Use :meth:`replication` for the
    independent streams of replication *i* of an experiment.
    """

    __slots__ = ("_streams", "replication_index", "seed")

    def __init__(self, seed: int, replication: int = 0) -> None:
        for value, what in ((seed, "seed"), (replication, "replication")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{what} must be an int ≥ 0, got {value!r}")
        self.seed = seed
        self.replication_index = replication
        self._streams: dict[str, Stream] = {}

    def __repr__(self) -> str:
        return f"<RandomStreams seed={self.seed} replication={self.replication_index}>"

    def __getitem__(self, name: str) -> Stream:
        stream = self._streams.get(name)
        if stream is None:
            if not isinstance(name, str) or not name:
                raise ValueError(f"a stream name must be a non-empty string, got {name!r}")
            sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication_index, _name_key(name)))
            stream = self._streams[name] = Stream(name, sequence)
        return stream

    def stream(self, name: str) -> Stream:
        """The stream called ``name`` (same as ``streams[name]``)."""
        return self[name]

    def replication(self, index: int) -> RandomStreams:
        """Fresh streams for replication ``index`` of the same seed (independent of this one's)."""
        return RandomStreams(self.seed, index)

    def names(self) -> list[str]:
        """The names of the streams used so far, sorted."""
        return sorted(self._streams)
