"""Service-time and delay distributions: a value knows its mean and variability and samples from a stream.

The squared coefficient of variation (``scv`` = Var/mean²) is what the
Pollaczek–Khinchine formula needs, so ``theory.mg1(λ, 1/d.mean, d.scv)`` gives the
analytic wait for any of these service distributions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from queuesim.sim._checks import check_non_negative, check_positive
from queuesim.sim.streams import Stream

__all__ = [
    "DISTRIBUTION_KINDS",
    "Deterministic",
    "Distribution",
    "Exponential",
    "LogNormal",
    "distribution",
]


@runtime_checkable
class Distribution(Protocol):
    """What scenarios need from a distribution."""

    @property
    def mean(self) -> float:
        """The mean."""

    @property
    def scv(self) -> float:
        """The squared coefficient of variation, Var/mean²."""

    def sample(self, stream: Stream) -> float:
        """One draw, consuming one uniform from ``stream``."""


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean (scv 1): Poisson arrivals, M/M/· service."""

    mean: float

    def __post_init__(self) -> None:
        check_positive(self.mean, "mean")

    @property
    def scv(self) -> float:
        """1."""
        return 1.0

    def sample(self, stream: Stream) -> float:
        """One draw."""
        return stream.exponential(self.mean)


@dataclass(frozen=True, slots=True)
class Deterministic:
    """Always ``mean`` (scv 0): M/D/1 service, a fixed network delay.

    It still consumes one uniform per draw, so the other draws of the stream stay
    aligned with a run that uses a random distribution instead.
    """

    mean: float

    def __post_init__(self) -> None:
        check_non_negative(self.mean, "mean")

    @property
    def scv(self) -> float:
        """0."""
        return 0.0

    def sample(self, stream: Stream) -> float:
        """``mean`` (after consuming one uniform)."""
        stream.random()
        return self.mean


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal with the given mean and coefficient of variation ``cv`` = sd/mean (scv = cv²)."""

    mean: float
    cv: float = 1.0

    def __post_init__(self) -> None:
        check_positive(self.mean, "mean")
        check_positive(self.cv, "cv")

    @property
    def scv(self) -> float:
        """cv²."""
        return self.cv * self.cv

    def sample(self, stream: Stream) -> float:
        """One draw."""
        return stream.lognormal(self.mean, self.cv)


#: The names :func:`distribution` accepts (the CLI's ``--service`` choices).
DISTRIBUTION_KINDS = ("exp", "det", "lognormal")

_ALIASES = {
    "exp": "exp",
    "exponential": "exp",
    "det": "det",
    "deterministic": "det",
    "lognormal": "lognormal",
}


def distribution(kind: str, mean: float, cv: float = 1.0) -> Exponential | Deterministic | LogNormal:
    """The distribution named ``kind`` (``exp``, ``det`` or ``lognormal``) with the given mean.

    ``cv`` is used by ``lognormal`` only.
    """
    name = _ALIASES.get(kind.lower()) if isinstance(kind, str) else None
    if name is None:
        raise ValueError(f"unknown distribution {kind!r}; choose one of {', '.join(DISTRIBUTION_KINDS)}")
    if name == "exp":
        return Exponential(mean)
    if name == "det":
        return Deterministic(mean)
    return LogNormal(mean, cv)
