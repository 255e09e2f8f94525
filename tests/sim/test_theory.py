"""Analytic formulas against textbook values, exact where the inputs are Fractions."""

from __future__ import annotations

import json
import math
from fractions import Fraction as F
from math import factorial

import pytest

from queuesim.sim import theory
from queuesim.sim.distributions import LogNormal
from queuesim.sim.theory import (
    QueueMetrics,
    erlang_b,
    erlang_c,
    little_gap,
    littles_law,
    md1,
    mg1,
    mm1,
    mmc,
    mmck,
    mmck_probabilities,
)

MEASURES = (
    "utilization",
    "p_wait",
    "blocking",
    "throughput",
    "mean_wait",
    "mean_queue_length",
    "mean_time_in_system",
    "mean_number_in_system",
)


def same_measures(a: QueueMetrics[F], b: QueueMetrics[F]) -> None:
    for name in MEASURES:
        assert getattr(a, name) == getattr(b, name), name


def erlang_b_by_definition(c: int, a: F) -> F:
    return (a**c / factorial(c)) / sum(a**k / factorial(k) for k in range(c + 1))


def test_erlang_b_classic_table_value() -> None:
    assert erlang_b(10, 10.0) == pytest.approx(0.2145823431, abs=5e-11)
    assert erlang_b(10, F(10)) == F(1562500, 7281587)


@pytest.mark.parametrize(("c", "a"), [(1, F(1, 2)), (3, F(2)), (7, F(13, 3)), (20, F(25))])
def test_erlang_b_recursion_equals_definition(c: int, a: F) -> None:
    assert erlang_b(c, a) == erlang_b_by_definition(c, a)


def test_erlang_b_is_stable_for_many_servers() -> None:
    b = erlang_b(2000, 1900.0)
    assert 0.0 < b < 0.05
    assert math.isfinite(b)


def test_erlang_c_textbook_and_definition() -> None:
    assert erlang_c(2, F(1)) == F(1, 3)  # M/M/2 with a = 1
    c, a = 4, F(3)
    rho = a / c
    top = a**c / factorial(c) / (1 - rho)
    assert erlang_c(c, a) == top / (sum(a**k / factorial(k) for k in range(c)) + top)


def test_mm1_textbook() -> None:
    m = mm1(F(1, 2), F(1))
    assert (m.p_wait, m.mean_wait, m.mean_queue_length) == (F(1, 2), F(1), F(1, 2))
    assert (m.mean_time_in_system, m.mean_number_in_system) == (F(2), F(1))
    assert m.model == "M/M/1"
    assert m.blocking == 0
    assert m.throughput == F(1, 2)


def test_mmc_textbook_mm2() -> None:
    m = mmc(F(1), F(1), 2)
    assert m.p_wait == F(1, 3)
    assert m.mean_wait == F(1, 3)
    assert m.mean_queue_length == F(1, 3)
    assert m.mean_time_in_system == F(4, 3)
    assert m.mean_number_in_system == F(4, 3)
    assert m.utilization == F(1, 2)
    assert m.model == "M/M/2"


@pytest.mark.parametrize(("lam", "mu"), [(F(1, 2), F(1)), (F(9, 10), F(1)), (F(3), F(7))])
def test_mmc_with_one_server_is_mm1(lam: F, mu: F) -> None:
    assert mmc(lam, mu, 1) == mm1(lam, mu)


@pytest.mark.parametrize(("lam", "mu", "c"), [(F(2), F(1), 3), (F(10), F(1), 10), (F(7, 2), F(2), 1)])
def test_mmcc_blocking_is_erlang_b(lam: F, mu: F, c: int) -> None:
    m = mmck(lam, mu, c, c)
    assert m.blocking == erlang_b(c, lam / mu)
    assert m.mean_wait == 0
    assert m.p_wait == 0


def test_mm1k_closed_form() -> None:
    lam, mu, k = F(3), F(4), 6
    rho = lam / mu
    p = mmck_probabilities(lam, mu, 1, k)
    assert p == tuple((1 - rho) * rho**n / (1 - rho ** (k + 1)) for n in range(k + 1))
    assert sum(p) == 1


def test_mmck_at_full_load_is_uniform() -> None:
    m = mmck(F(1), F(1), 1, 4)
    assert mmck_probabilities(F(1), F(1), 1, 4) == (F(1, 5),) * 5
    assert m.blocking == F(1, 5)
    assert m.mean_number_in_system == 2


def test_mmck_overload_does_not_overflow() -> None:
    m = mmck(50.0, 1.0, 2, 2000)
    assert m.blocking == pytest.approx(0.96)
    assert m.throughput == pytest.approx(2.0)
    assert m.utilization == pytest.approx(1.0)


def test_mmck_with_large_capacity_approaches_mmc() -> None:
    finite, infinite = mmck(2.4, 1.0, 3, 400), mmc(2.4, 1.0, 3)
    for name in ("p_wait", "mean_wait", "mean_queue_length", "mean_number_in_system"):
        assert getattr(finite, name) == pytest.approx(getattr(infinite, name), rel=1e-9), name


def test_mmck_p_wait_is_conditional_on_admission() -> None:
    lam, mu, c, k = F(5), F(2), 2, 5
    p = mmck_probabilities(lam, mu, c, k)
    m = mmck(lam, mu, c, k)
    assert m.p_wait == sum(p[c:k]) / (1 - p[k])
    assert m.throughput == lam * (1 - p[k])
    assert m.utilization == m.throughput / (c * mu)


@pytest.mark.parametrize(
    "metrics",
    [
        mm1(F(2), F(3)),
        mmc(F(5), F(2), 3),
        mmck(F(5), F(2), 2, 6),
        mmck(F(9), F(1), 3, 3),
        mg1(F(1, 3), F(1), F(5, 2)),
        md1(F(4), F(5)),
    ],
    ids=lambda m: m.model,
)
def test_littles_law_holds_exactly(metrics: QueueMetrics[F]) -> None:
    lam = metrics.throughput
    assert metrics.mean_number_in_system == lam * metrics.mean_time_in_system
    assert metrics.mean_queue_length == lam * metrics.mean_wait
    assert metrics.mean_time_in_system == metrics.mean_wait + 1 / metrics.service_rate


def test_pollaczek_khinchine_with_exponential_service_is_mm1() -> None:
    same_measures(mg1(F(3, 4), F(1), 1), mm1(F(3, 4), F(1)))
    assert mg1(F(3, 4), F(1), 1).model == "M/G/1"


def test_md1_waits_half_as_long_as_mm1() -> None:
    lam, mu = F(7, 10), F(1)
    d, m = md1(lam, mu), mm1(lam, mu)
    assert d.mean_wait == m.mean_wait / 2
    assert d.mean_queue_length == m.mean_queue_length / 2
    assert d.model == "M/D/1"
    assert d.mean_wait == (lam / mu) / (2 * mu * (1 - lam / mu))


def test_mg1_with_a_lognormal_uses_its_scv() -> None:
    service = LogNormal(mean=0.5, cv=2.0)
    m = mg1(1.0, 1 / service.mean, service.scv)
    rho = 0.5
    assert m.mean_wait == pytest.approx(service.mean * rho * (1 + 4.0) / (2 * (1 - rho)))


def test_float_and_exact_modes_agree() -> None:
    exact, approx = mmc(F(23, 10), F(1), 3), mmc(2.3, 1.0, 3)
    assert isinstance(approx.mean_wait, float)
    assert isinstance(exact.mean_wait, F)
    for name in MEASURES:
        assert float(getattr(exact, name)) == pytest.approx(getattr(approx, name), rel=1e-12), name


def test_ints_compute_in_floats() -> None:
    assert isinstance(mm1(1, 2).mean_wait, float)
    assert isinstance(mm1(F(1), 2).mean_wait, F)


def test_to_dict_is_json_ready() -> None:
    d = mmck(F(5), F(2), 2, 6).to_dict()
    assert isinstance(d["mean_wait"], float)
    assert d["capacity"] == 6
    assert d["model"] == "M/M/2/6"
    assert json.loads(json.dumps(d)) == d
    assert mm1(0.5, 1.0).to_dict()["capacity"] is None


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mm1(1.0, 1.0), "unstable"),
        (lambda: mm1(2.0, 1.0), "unstable"),
        (lambda: mmc(3.0, 1.0, 2), r"M/M/2 is unstable: utilisation ρ = λ/\(cμ\) = 1\.5"),
        (lambda: erlang_c(2, 2.0), "unstable"),
        (lambda: mg1(1.0, 1.0, 0.5), "unstable"),
        (lambda: mm1(-1.0, 1.0), "arrival_rate must be a positive"),
        (lambda: mm1(0.0, 1.0), "arrival_rate must be a positive"),
        (lambda: mm1(0.5, math.inf), "service_rate must be a positive"),
        (lambda: mm1(math.nan, 1.0), "arrival_rate"),
        (lambda: mmc(0.5, 1.0, 0), "servers must be at least 1"),
        (lambda: mmck(0.5, 1.0, 3, 2), "capacity K=2 .* must be ≥ servers c=3"),
        (lambda: mg1(0.5, 1.0, -1.0), "scv must be"),
        (lambda: erlang_b(3, 0.0), "load must be a positive"),
    ],
)
def test_invalid_or_unstable_parameters_raise_value_error(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    "call",
    [lambda: mm1("1", 2.0), lambda: mm1(True, 2.0), lambda: mmc(0.5, 1.0, 2.0), lambda: erlang_b(True, 1.0)],
)
def test_wrong_types_raise_type_error(call: object) -> None:
    with pytest.raises(TypeError):
        call()  # type: ignore[operator]


def test_littles_law_solves_for_the_missing_quantity() -> None:
    assert littles_law(rate=2.0, time=3.0) == 6.0
    assert littles_law(number=6.0, time=3.0) == 2.0
    assert littles_law(number=6.0, rate=2.0) == 3.0
    with pytest.raises(ValueError, match="exactly two"):
        littles_law(number=1.0)
    with pytest.raises(ValueError, match="exactly two"):
        littles_law(number=1.0, rate=1.0, time=1.0)
    with pytest.raises(ValueError, match="rate must be a finite number"):
        littles_law(number=1.0, rate=-1.0)
    with pytest.raises(ValueError, match="rate must be > 0"):
        littles_law(number=1.0, rate=0.0)


def test_little_gap() -> None:
    assert little_gap(6.0, 2.0, 3.0) == 0.0
    assert little_gap(6.6, 2.0, 3.0) == pytest.approx(0.6 / 6.6)
    assert little_gap(0.0, 0.0, 5.0) == 0.0


def test_module_exports_are_sorted() -> None:
    assert theory.__all__ == sorted(theory.__all__)


def test_allen_cunneen_is_exact_where_theory_is() -> None:
    mm2 = theory.allen_cunneen(1.6, 1.0, 2, 1.0)
    assert (mm2.model, mm2.exact) == ("M/M/2", True)
    assert mm2.mean_wait == pytest.approx(float(mmc(1.6, 1.0, 2).mean_wait), rel=1e-12)
    mg = theory.allen_cunneen(0.5, 1.0, 1, 4.0)
    assert (mg.model, mg.exact) == ("M/G/1", True)
    assert mg.mean_wait == pytest.approx(float(mg1(0.5, 1.0, 4.0).mean_wait), rel=1e-12)


def test_allen_cunneen_scales_erlang_c_and_says_it_is_an_approximation() -> None:
    approx = theory.allen_cunneen(1.6, 1.0, 2, scv_service=4.0)
    assert approx.exact is False
    assert approx.model == "M/G/2 (Allen–Cunneen approximation)"
    assert approx.mean_wait == pytest.approx(float(mmc(1.6, 1.0, 2).mean_wait) * (1 + 4) / 2)
    assert approx.p_wait == pytest.approx(float(erlang_c(2, 1.6)))
    assert approx.mean_queue_length == pytest.approx(1.6 * approx.mean_wait)  # Little
    assert theory.allen_cunneen(1.6, 1.0, 2, 0.0).model == "M/D/2 (Allen–Cunneen approximation)"
    assert theory.allen_cunneen(1.6, 1.0, 2, 1.0, scv_arrival=0.5).model.startswith("G/M/2 (Allen")
    assert theory.allen_cunneen(1.6, 1.0, 2, 4.0).to_dict()["exact"] is False


def test_kingman_is_pollaczek_khinchine_for_poisson_arrivals() -> None:
    exact = theory.kingman(0.7, 1.0, 1.0, 2.5)
    assert (exact.model, exact.exact) == ("M/G/1", True)
    assert exact.mean_wait == pytest.approx(float(mg1(0.7, 1.0, 2.5).mean_wait), rel=1e-12)
    approx = theory.kingman(0.5, 1.0, 0.5, 4.0)
    assert (approx.model, approx.exact) == ("G/G/1 (Kingman approximation)", False)
    assert approx.mean_wait == pytest.approx(1.0 * 0.5 / 0.5 * (0.5 + 4.0) / 2)


def test_mmc_wait_tail_is_the_whole_wait_distribution() -> None:
    lam, mu, c = 1.6, 1.0, 2
    m = mmc(lam, mu, c)
    assert theory.mmc_wait_tail(lam, mu, c, 0.0) == pytest.approx(float(m.p_wait))
    # E[Wq] = ∫ P(Wq > t) dt = C / (cμ − λ)
    step = 0.001
    area = math.fsum(theory.mmc_wait_tail(lam, mu, c, (i + 0.5) * step) * step for i in range(40_000))
    assert area == pytest.approx(float(m.mean_wait), rel=1e-4)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: theory.allen_cunneen(1.6, 1.0, 2, -1.0), "scv_service must be"),
        (lambda: theory.allen_cunneen(1.6, 1.0, 2, 1.0, scv_arrival=math.inf), "scv_arrival must be"),
        (lambda: theory.allen_cunneen(2.0, 1.0, 2, 1.0), "M/M/2 is unstable"),
        (lambda: theory.kingman(1.0, 1.0, 1.0, 1.0), "G/G/1 is unstable"),
        (lambda: theory.mmc_wait_tail(0.5, 1.0, 1, -1.0), "t must be"),
    ],
)
def test_approximations_refuse_bad_parameters(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()  # type: ignore[operator]
