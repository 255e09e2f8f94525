"""queuesim's own stock and seat services under the race finder: naive is racy, watch and atomic are not."""

from __future__ import annotations

import pytest

from queuesim.race import Load, find_race
from queuesim.race.examples import services

STOCK = {"setup": services.stock_setup, "invariant": services.stock_check}
SEATS = {"setup": services.seats_setup, "invariant": services.seats_check}


@pytest.mark.parametrize(("target", "checks"), [(services.stock_naive, STOCK), (services.seat_naive, SEATS)],
                         ids=["stock", "seats"])
def test_naive_is_found_racy_with_a_two_client_counterexample(target: object, checks: dict[str, object]) -> None:
    finding = find_race(Load(target, clients=10, **checks), seed=3)  # type: ignore[arg-type]
    assert finding.violation
    counterexample = finding.counterexample
    assert counterexample is not None
    assert counterexample.clients == 2
    assert counterexample.preemptions == 1
    commands = [e.command.split()[0] for e in counterexample.run.trace]
    assert commands == ["GET", "GET", "SET", "SET"]  # the service's own conversation, one round trip each


@pytest.mark.parametrize("strategy", ["watch", "atomic"])
@pytest.mark.parametrize("service", ["stock", "seat"])
def test_watch_and_atomic_hold(strategy: str, service: str) -> None:
    target = getattr(services, f"{service}_{strategy}")
    checks = STOCK if service == "stock" else SEATS
    finding = find_race(Load(target, clients=8, **checks), schedules=150, seed=1)  # type: ignore[arg-type]
    assert not finding.violation, finding.format()


def test_the_watch_strategy_really_is_contended_and_retried() -> None:
    from queuesim.race import run

    load = Load(services.stock_watch, clients=8, **STOCK)  # type: ignore[arg-type]
    aborted = sum(
        e.reply_text.startswith("WatchError") for s in range(10) for e in run(load, seed=s).trace
    )
    assert aborted > 0  # the transactions did collide: the invariant held because WATCH caught them


def test_the_atomic_strategy_runs_one_script_call_per_reservation() -> None:
    from queuesim.race import run

    result = run(Load(services.stock_atomic, clients=6, **STOCK), seed=1)  # type: ignore[arg-type]
    words = [e.command.split()[0] for e in result.trace]
    assert set(words) <= {"EVALSHA", "EVAL"}
    assert words.count("EVALSHA") + words.count("EVAL") >= 6
