"""The race finder on the course's stock code: the targets of issue 12, and replaying what it finds."""

from __future__ import annotations

import statistics

import pytest

from queuesim.race import Load, find_race, run
from queuesim.race.examples import stock


def _stock(target: object, **options: object) -> Load:
    return Load(target, clients=10, setup=stock.setup, invariant=stock.check, **options)  # type: ignore[arg-type]


def test_naive_get_then_set_is_found_within_20_schedules_on_average() -> None:
    # the target: stock 4, 10 clients arriving together; measured over 50 finder seeds in bench/race_speed.py
    load = _stock(stock.reserve_naive)
    counts = [find_race(load, seed=seed, minimise_counterexample=False).schedules for seed in range(1, 21)]
    assert statistics.mean(counts) <= 20
    assert max(counts) <= 100  # never exhausted the default budget


def test_the_minimised_counterexample_has_two_clients_and_at_most_six_commands() -> None:
    finding = find_race(_stock(stock.reserve_naive), seed=1)
    counterexample = finding.counterexample
    assert finding.violation
    assert counterexample is not None
    assert counterexample.minimised
    assert counterexample.clients == 2
    assert counterexample.commands <= 6
    assert counterexample.preemptions == 1
    # a lost update: both read the same stock and both wrote one less
    gets = [e for e in counterexample.run.trace if e.command.startswith("GET")]
    sets = [e for e in counterexample.run.trace if e.command.startswith("SET")]
    assert len({e.reply for e in gets}) == 1
    assert len({e.command for e in sets}) == 1
    assert counterexample.replay().violation == counterexample.message  # an explicit schedule: fails again


@pytest.mark.parametrize("target", [stock.reserve_watch, stock.reserve_lua], ids=["watch", "lua"])
def test_watch_and_lua_hold_in_1000_schedules(target: object) -> None:
    finding = find_race(_stock(target), schedules=1000, seed=1)
    assert not finding.violation
    assert finding.schedules == 1000
    assert finding.seed is None
    assert finding.counterexample is None
    assert finding.to_dict()["counterexample"] is None


@pytest.mark.parametrize("scheduler", ["mixed", "random", "pct"])
def test_the_reported_seed_replays_the_same_violation(scheduler: str) -> None:
    load = _stock(stock.reserve_naive, arrival_rate=3000.0)  # spread arrivals: not every schedule fails
    finding = find_race(load, seed=5, scheduler=scheduler)
    assert finding.violation
    assert finding.seed is not None
    assert finding.run is not None
    again = run(load, seed=finding.seed, scheduler=scheduler)
    assert again.violation == finding.message
    assert [(e.client, e.at, e.command, e.reply_text) for e in again.trace] == [
        (e.client, e.at, e.command, e.reply_text) for e in finding.run.trace
    ]
    # and a finder started from that seed finds it in its first schedule
    assert find_race(load, seed=finding.seed, schedules=1, scheduler=scheduler).message == finding.message


def test_the_same_finder_seed_gives_the_same_finding() -> None:
    load = _stock(stock.reserve_naive, arrival_rate=3000.0)
    first, second = find_race(load, seed=8), find_race(load, seed=8)
    assert first.to_dict() == second.to_dict()


def test_spread_arrivals_need_more_schedules_and_the_count_is_reported() -> None:
    load = _stock(stock.reserve_naive, arrival_rate=300.0)  # 3.3 ms apart on average, RTT 1 ms: races are rarer
    counts = [find_race(load, seed=seed, minimise_counterexample=False).schedules for seed in range(1, 11)]
    assert max(counts) > 1  # some seeds needed several schedules, and each count is what was run
    finding = find_race(load, seed=1, schedules=1)
    assert finding.schedules == 1


def test_falsy_zero_is_not_a_race_its_counterexample_has_no_preemption() -> None:
    finding = find_race(_stock(stock.reserve_falsy_zero), seed=1)
    counterexample = finding.counterexample
    assert counterexample is not None
    assert counterexample.preemptions == 0
    assert counterexample.blocks == []
    assert counterexample.clients == stock.INITIAL_STOCK + 1  # sell out, then one more reads 0 as 4


def test_the_json_form_keeps_the_contract() -> None:
    data = find_race(_stock(stock.reserve_naive), seed=1).to_dict()
    assert data["violation"] is True
    assert data["schedules"] >= 1
    assert isinstance(data["seed"], int)
    counterexample = data["counterexample"]
    assert [c["client"] for c in counterexample["clients"]] == [0, 1]
    for entry in counterexample["trace"]:
        assert {"client", "t", "command", "reply"} <= set(entry)
        assert isinstance(entry["t"], float)
        assert isinstance(entry["command"], str)
        assert isinstance(entry["reply"], str)
    assert counterexample["trace"][0]["command"] == "GET item.1"
    assert counterexample["trace"][0]["reply"] == "'4'"


def test_budget_seed_and_scheduler_are_checked() -> None:
    load = _stock(stock.reserve_naive)
    with pytest.raises(ValueError, match="schedules must be an int ≥ 1"):
        find_race(load, schedules=0)
    with pytest.raises(ValueError, match="seed must be an int from 0 to 4294967295"):
        find_race(load, seed=2**32)
    with pytest.raises(ValueError, match="unknown scheduler 'dfs'"):
        find_race(load, scheduler="dfs")


def test_progress_is_reported_per_schedule() -> None:
    seen: list[int] = []
    find_race(_stock(stock.reserve_lua), schedules=5, progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]
