"""Analytic queueing results: Little's law, M/M/1, Erlang B and C, M/M/c, M/M/c/K, M/G/1 and M/D/1.

Beyond the exact results, two published approximations for queues without a
closed form, each marked ``exact=False`` on its result: Allen–Cunneen for
M/G/c and G/G/c, and Kingman's formula for G/G/1.

Notation: λ arrival rate, μ service rate of one server, c servers, a = λ/μ the offered
load in Erlangs, ρ = a/c the utilisation, K the most customers *in the system*
(servers plus waiting room). All results are steady-state means with FIFO service.

Every function computes in floats, or exactly in :class:`fractions.Fraction` when
any rate passed to it is a ``Fraction``, so tests can compare with textbook values
exactly (``mm1(Fraction(1, 2), Fraction(1))``). Infinite-capacity models raise
``ValueError`` when ρ ≥ 1, because they have no steady state; give a capacity
(:func:`mmck`) to study overload.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from numbers import Real
from typing import Generic, TypeVar, cast

__all__ = [
    "QueueMetrics",
    "allen_cunneen",
    "erlang_b",
    "erlang_c",
    "kingman",
    "little_gap",
    "littles_law",
    "md1",
    "mg1",
    "mm1",
    "mmc",
    "mmc_wait_tail",
    "mmck",
    "mmck_probabilities",
]

#: A number the formulas compute in: ``float``, or ``Fraction`` for exact results.
N = TypeVar("N", float, Fraction)

# Float weights of M/M/c/K are rescaled before they can overflow (a/c > 1, large K).
_RESCALE_ABOVE = 1e250


@dataclass(frozen=True, slots=True)
class QueueMetrics(Generic[N]):
    """Steady-state measures of one queueing model.

    The names match the simulation's output, so a result and its theory line up
    key by key. Times are in the unit of 1/rate (seconds when rates are per second).
    """

    #: Kendall notation, e.g. ``"M/M/3"`` or ``"M/M/2/10"``.
    model: str
    #: λ, arrivals per unit time (offered, before any blocking).
    arrival_rate: N
    #: μ, services per unit time of one server.
    service_rate: N
    #: c, the number of servers.
    servers: int
    #: K, the most customers in the system, or ``None`` for an unlimited waiting room.
    capacity: int | None
    #: Fraction of time a server is busy: λ_eff/(cμ).
    utilization: N
    #: Probability an (admitted) arrival has to wait for a server.
    p_wait: N
    #: Probability an arrival finds the system full and is turned away (0 without a capacity).
    blocking: N
    #: λ_eff = λ(1 − blocking), customers admitted (and served) per unit time.
    throughput: N
    #: Wq, mean time an admitted customer waits before service starts.
    mean_wait: N
    #: Lq, mean number of customers waiting (not in service).
    mean_queue_length: N
    #: W = Wq + 1/μ, mean time in the system.
    mean_time_in_system: N
    #: L = Lq + λ_eff/μ, mean number in the system.
    mean_number_in_system: N
    #: False for an approximation (Allen–Cunneen, Kingman): a simulation need not agree with it.
    exact: bool = True

    def to_dict(self) -> dict[str, float | int | str | None]:
        """The measures as a JSON-ready dict (numbers as floats)."""
        out: dict[str, float | int | str | None] = {}
        for key, value in asdict(self).items():
            out[key] = float(value) if isinstance(value, Fraction | float) else value
        return out


def _is_exact(*values: object) -> bool:
    return any(isinstance(v, Fraction) for v in values)


def _rate(value: object, name: str, exact: bool) -> float | Fraction:
    """A positive finite rate, as a Fraction in exact mode and a float otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return Fraction(cast(float, value)) if exact else float(value)


def _count(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _rates(arrival_rate: N, service_rate: N) -> tuple[N, N]:
    exact = _is_exact(arrival_rate, service_rate)
    lam = _rate(arrival_rate, "arrival_rate", exact)
    mu = _rate(service_rate, "service_rate", exact)
    return cast(N, lam), cast(N, mu)


def _check_stable(rho: N, model: str) -> None:
    if rho >= 1:
        raise ValueError(
            f"{model} is unstable: utilisation ρ = λ/(cμ) = {float(rho):.6g} ≥ 1, so the queue grows "
            "without bound; lower the arrival rate, add servers, or give a capacity (M/M/c/K)"
        )


def littles_law(number: float | None = None, rate: float | None = None, time: float | None = None) -> float:
    """Little's law L = λW: pass two of ``number`` (L), ``rate`` (λ) and ``time`` (W), get the third.

    It holds for any stable system and any part of one (the queue alone: Lq = λWq);
    with blocking, λ is the admitted rate λ_eff.
    """
    given = {k: v for k, v in (("number", number), ("rate", rate), ("time", time)) if v is not None}
    if len(given) != 2:
        got = ", ".join(sorted(given)) or "none"
        raise ValueError(f"littles_law needs exactly two of number, rate, time; got {got}")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{key} must be a finite number ≥ 0, got {value!r}")
    if number is None:
        return cast(float, rate) * cast(float, time)
    if rate is None:
        if time == 0:
            raise ValueError("time must be > 0 to solve for the rate")
        return number / cast(float, time)
    if rate == 0:
        raise ValueError("rate must be > 0 to solve for the time")
    return number / rate


def little_gap(number: float, rate: float, time: float) -> float:
    """How far measured (L, λ, W) are from Little's law: ``|L − λW| / max(L, λW)``, 0 when both are 0."""
    product = rate * time
    scale = max(abs(number), abs(product))
    return 0.0 if scale == 0 else abs(number - product) / scale


def erlang_b(servers: int, load: N) -> N:
    """Erlang B: probability an arrival is blocked in M/M/c/c (any service distribution).

    Uses the stable recursion B(0) = 1, B(n) = a·B(n−1) / (n + a·B(n−1)).

    Args:
        servers: c ≥ 1.
        load: offered load a = λ/μ in Erlangs (> 0).
    """
    c = _count(servers, "servers")
    a = cast(N, _rate(load, "load", _is_exact(load)))
    b: N = a / a  # 1, in the type of ``a``
    for n in range(1, c + 1):
        b = a * b / (n + a * b)
    return b


def erlang_c(servers: int, load: N) -> N:
    """Erlang C: probability an arrival has to wait in M/M/c, C = B / (1 − ρ(1 − B)).

    Raises:
        ValueError: the load is not below the number of servers (no steady state).
    """
    c = _count(servers, "servers")
    a = cast(N, _rate(load, "load", _is_exact(load)))
    rho = a / c
    _check_stable(rho, f"M/M/{c}")
    b = erlang_b(c, a)
    return b / (1 - rho * (1 - b))


def _unlimited(model: str, lam: N, mu: N, servers: int, p_wait: N, wq: N, exact: bool = True) -> QueueMetrics[N]:
    """An infinite-capacity queue's measures from P(wait) and Wq; the rest by Little's law."""
    lq = lam * wq
    return QueueMetrics(
        model=model,
        arrival_rate=lam,
        service_rate=mu,
        servers=servers,
        capacity=None,
        utilization=lam / (servers * mu),
        p_wait=p_wait,
        blocking=wq * 0,
        throughput=lam,
        mean_wait=wq,
        mean_queue_length=lq,
        mean_time_in_system=wq + 1 / mu,
        mean_number_in_system=lq + lam / mu,
        exact=exact,
    )


def mm1(arrival_rate: N, service_rate: N) -> QueueMetrics[N]:
    """M/M/1: P(wait) = ρ, Wq = ρ/(μ − λ), Lq = ρ²/(1 − ρ), W = 1/(μ − λ), L = ρ/(1 − ρ)."""
    lam, mu = _rates(arrival_rate, service_rate)
    rho = lam / mu
    _check_stable(rho, "M/M/1")
    return _unlimited("M/M/1", lam, mu, 1, rho, rho / (mu - lam))


def mmc(arrival_rate: N, service_rate: N, servers: int) -> QueueMetrics[N]:
    """M/M/c via Erlang C: Wq = C/(cμ − λ), Lq = λWq, W = Wq + 1/μ, L = Lq + a."""
    lam, mu = _rates(arrival_rate, service_rate)
    c = _count(servers, "servers")
    a = lam / mu
    rho = a / c
    _check_stable(rho, f"M/M/{c}")
    p_wait = erlang_c(c, a)
    return _unlimited(f"M/M/{c}", lam, mu, c, p_wait, p_wait / (c * mu - lam))


def mmc_wait_tail(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(Wq > t) in M/M/c: C(c, a)·e^(−(cμ − λ)t) for t ≥ 0 (the waiting time's whole distribution).

    At t = 0 it is P(wait), Erlang C; the conditional wait of those who wait is
    exponential with rate cμ − λ. Computed in floats.
    """
    if isinstance(t, bool) or not isinstance(t, Real) or not math.isfinite(t) or t < 0:
        raise ValueError(f"t must be a finite number ≥ 0, got {t!r}")
    m = mmc(float(arrival_rate), float(service_rate), servers)
    return float(m.p_wait) * math.exp(-(servers * float(service_rate) - float(arrival_rate)) * float(t))


def mmck_probabilities(arrival_rate: N, service_rate: N, servers: int, capacity: int) -> tuple[N, ...]:
    """State probabilities p_0 … p_K of M/M/c/K (K = most customers in the system, K ≥ c).

    p_n ∝ a^n/n! for n ≤ c and p_n ∝ (a^c/c!)·ρ^(n−c) for c < n ≤ K. Any load is
    allowed: the capacity keeps the system stable.
    """
    lam, mu = _rates(arrival_rate, service_rate)
    c = _count(servers, "servers")
    k = _count(capacity, "capacity")
    if k < c:
        raise ValueError(f"capacity K={k} counts the customers in service too, so it must be ≥ servers c={c}")
    a = lam / mu
    weights: list[N] = [a / a]
    for n in range(1, k + 1):
        w = weights[-1] * a / min(n, c)
        if isinstance(w, float) and w > _RESCALE_ABOVE:
            weights = [x / _RESCALE_ABOVE for x in weights]
            w = w / _RESCALE_ABOVE
        weights.append(w)
    total = sum(weights[1:], weights[0])
    return tuple(w / total for w in weights)


def mmck(arrival_rate: N, service_rate: N, servers: int, capacity: int) -> QueueMetrics[N]:
    """M/M/c/K: blocking = p_K, λ_eff = λ(1 − p_K), L and Lq from the state probabilities.

    W = L/λ_eff and Wq = Lq/λ_eff (Little's law on admitted customers);
    ``p_wait`` is P(wait | admitted) = Σ_{n=c}^{K−1} p_n / (1 − p_K).
    """
    p = mmck_probabilities(arrival_rate, service_rate, servers, capacity)
    lam, mu = _rates(arrival_rate, service_rate)
    c, k = servers, capacity
    zero = lam - lam
    blocking = p[k]
    admitted = 1 - blocking
    lam_eff = lam * admitted
    number = sum((n * p[n] for n in range(1, k + 1)), zero)
    queue = sum(((n - c) * p[n] for n in range(c + 1, k + 1)), zero)
    waiting = sum(p[c:k], zero)
    return QueueMetrics(
        model=f"M/M/{c}/{k}",
        arrival_rate=lam,
        service_rate=mu,
        servers=c,
        capacity=k,
        utilization=lam_eff / (c * mu),
        p_wait=waiting / admitted,
        blocking=blocking,
        throughput=lam_eff,
        mean_wait=queue / lam_eff,
        mean_queue_length=queue,
        mean_time_in_system=number / lam_eff,
        mean_number_in_system=number,
    )


def mg1(arrival_rate: N, service_rate: N, scv: float | Fraction) -> QueueMetrics[N]:
    """M/G/1 by Pollaczek–Khinchine: Wq = E[S]·ρ(1 + Cs²) / (2(1 − ρ)).

    Args:
        arrival_rate: λ.
        service_rate: μ = 1/E[S].
        scv: Cs², the squared coefficient of variation of the service time
            (Var[S]/E[S]²): 1 for exponential, 0 for deterministic, cv² for a lognormal.
    """
    lam, mu = _rates(arrival_rate, service_rate)
    exact = _is_exact(lam, scv)
    if isinstance(scv, bool) or not isinstance(scv, Real) or not math.isfinite(scv) or scv < 0:
        raise ValueError(f"scv must be a finite number ≥ 0, got {scv!r}")
    cs2 = cast(N, Fraction(scv) if exact else float(scv))
    rho = lam / mu
    _check_stable(rho, "M/G/1")
    wq = rho * (1 + cs2) / (2 * mu * (1 - rho))
    return _unlimited("M/D/1" if cs2 == 0 else "M/G/1", lam, mu, 1, rho, wq)


def _scv(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
    return float(value)


def allen_cunneen(
    arrival_rate: float, service_rate: float, servers: int, scv_service: float, scv_arrival: float = 1.0
) -> QueueMetrics[float]:
    """G/G/c by the Allen–Cunneen **approximation**: Wq ≈ Wq(M/M/c) · (Ca² + Cs²) / 2.

    The M/M/c wait (Erlang C) scaled by the mean of the squared coefficients of
    variation of the interarrival (Ca², 1 for Poisson arrivals) and service times
    (Cs²: 0 deterministic, 1 exponential, cv² lognormal). P(wait) is taken from
    Erlang C. It is exact for M/M/c (Ca² = Cs² = 1) and for M/G/1 (c = 1, Ca² = 1,
    where it is Pollaczek–Khinchine), and ``exact`` says so; otherwise it is an
    approximation, usually within about 10 % for moderate to heavy loads.
    Reference: Allen, *Probability, Statistics, and Queueing Theory* (1990), §6.
    Computed in floats.
    """
    lam, mu = _rates(float(arrival_rate), float(service_rate))
    c = _count(servers, "servers")
    cs2, ca2 = _scv(scv_service, "scv_service"), _scv(scv_arrival, "scv_arrival")
    base = mmc(lam, mu, c)
    factor = (ca2 + cs2) / 2
    exact = ca2 == 1.0 and (cs2 == 1.0 or c == 1)
    kind = "M" if ca2 == 1.0 else "G"
    service = "M" if cs2 == 1.0 else "D" if cs2 == 0.0 else "G"
    model = f"{kind}/{service}/{c}" + ("" if exact else " (Allen–Cunneen approximation)")
    return _unlimited(model, lam, mu, c, base.p_wait, base.mean_wait * factor, exact=exact)


def kingman(arrival_rate: float, service_rate: float, scv_arrival: float, scv_service: float) -> QueueMetrics[float]:
    """G/G/1 by Kingman's **approximation** (heavy-traffic formula): Wq ≈ E[S] · ρ/(1 − ρ) · (Ca² + Cs²)/2.

    Exact for M/G/1 (Ca² = 1: Pollaczek–Khinchine); an approximation otherwise,
    best as ρ → 1. P(wait) is taken as ρ. Reference: Kingman, "The single server
    queue in heavy traffic", Proc. Cambridge Phil. Soc. 57 (1961). Computed in floats.
    """
    lam, mu = _rates(float(arrival_rate), float(service_rate))
    ca2, cs2 = _scv(scv_arrival, "scv_arrival"), _scv(scv_service, "scv_service")
    rho = lam / mu
    _check_stable(rho, "G/G/1")
    exact = ca2 == 1.0
    model = "M/G/1" if exact else "G/G/1 (Kingman approximation)"
    return _unlimited(model, lam, mu, 1, rho, (1 / mu) * rho / (1 - rho) * (ca2 + cs2) / 2, exact=exact)


def md1(arrival_rate: N, service_rate: N) -> QueueMetrics[N]:
    """M/D/1 (constant service 1/μ): Wq = ρ/(2μ(1 − ρ)), exactly half the M/M/1 wait."""
    return mg1(arrival_rate, service_rate, 0)
