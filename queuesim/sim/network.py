"""The network between a client and Redis: a one-way delay per message, drawn from a named stream."""

from __future__ import annotations

from queuesim.sim._checks import check_non_negative
from queuesim.sim.distributions import Deterministic, Distribution, Exponential
from queuesim.sim.streams import Stream

__all__ = ["Network"]


class Network:
    """One-way delays: each request and each reply waits :meth:`one_way` seconds.

    Build one with :meth:`exponential` (random delays, mean RTT/2),
    :meth:`deterministic` (every message takes exactly RTT/2) or :meth:`zero`. With
    zero latency a conversation runs to its end without giving way to any other
    SimPy process, so no race can show: interleaving needs time between steps.
    """

    __slots__ = ("_constant", "delay", "stream")

    def __init__(self, delay: Distribution, stream: Stream | None = None) -> None:
        if not isinstance(delay, Distribution):
            raise TypeError(f"delay must be a Distribution, got {delay!r}")
        self.delay = delay
        self.stream = stream
        self._constant: float | None = delay.mean if isinstance(delay, Deterministic) else None
        if self._constant is None and stream is None:
            raise ValueError("a random network delay needs a stream to draw from (e.g. streams['network'])")

    def __repr__(self) -> str:
        return f"<Network {type(self.delay).__name__} rtt={self.rtt * 1000:g}ms>"

    @classmethod
    def zero(cls) -> Network:
        """No latency at all."""
        return cls(Deterministic(0.0))

    @classmethod
    def deterministic(cls, rtt: float) -> Network:
        """Every message takes exactly ``rtt``/2 seconds."""
        return cls(Deterministic(_rtt(rtt) / 2))

    @classmethod
    def exponential(cls, rtt: float, stream: Stream) -> Network:
        """Exponential one-way delays with mean ``rtt``/2 seconds, drawn from ``stream``."""
        rtt = _rtt(rtt)
        return cls.zero() if rtt == 0 else cls(Exponential(rtt / 2), stream)

    @property
    def rtt(self) -> float:
        """Mean round-trip time in seconds."""
        return 2 * self.delay.mean

    @property
    def is_zero(self) -> bool:
        """Whether messages arrive instantly."""
        return self._constant == 0.0

    def one_way(self) -> float:
        """The delay of one message, in seconds."""
        if self._constant is not None:
            return self._constant
        assert self.stream is not None
        return self.delay.sample(self.stream)


def _rtt(rtt: float) -> float:
    return check_non_negative(rtt, "rtt (seconds)")
