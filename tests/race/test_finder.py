"""The race finder on the course's stock code: the targets of issue 12, and replaying what it finds."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
import redis

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


def test_a_client_that_had_not_ended_is_running_in_the_json_not_raised() -> None:
    # checked after every command, the invariant fails while client 0 is still running
    def take(r: redis.Redis, i: int) -> bool:
        r.decr(stock.KEY)
        return True

    load = Load(take, clients=2, setup=stock.setup, invariant=stock.check, check_every_command=True)
    finding = find_race(load, seed=1)
    assert finding.counterexample is not None
    [client] = finding.counterexample.to_dict()["clients"]
    assert client == {"client": 0, "result": "RUNNING", "raised": False, "found_as": 0}
    assert finding.counterexample.run.errors == {}


_FLAG = {"on": True}  # the original seat service's process-local reservation flag


def _flag_setup(r: redis.Redis) -> None:
    r.set("seats", 2)  # and forgets to switch _FLAG back on: it stays off from one run to the next


def _seat_behind_a_local_flag(r: redis.Redis, i: int) -> bool:
    if not _FLAG["on"]:
        return False
    seats = int(r.get("seats"))  # type: ignore[arg-type]
    if seats < 1:
        return False
    r.set("seats", seats - 1)
    if seats == 1:
        _FLAG["on"] = False
    return True


def _seats_check(r: redis.Redis, results: list[Any]) -> bool | str:
    left = int(r.get("seats"))  # type: ignore[arg-type]
    taken = sum(result is True for result in results)
    return (taken + left == 2 and left >= 0) or f"{taken} taken, {left} left"


@pytest.mark.parametrize("scheduler", ["mixed", "random"])
def test_a_target_keeping_state_between_runs_is_reported_as_unstable(scheduler: str) -> None:
    # before: mixed found nothing in 100 schedules (the first run switched the flag off for all the others) and
    # said nothing; random found the race and showed a "counterexample" of 0 commands that did not fail
    _FLAG["on"] = True
    load = Load(_seat_behind_a_local_flag, clients=3, setup=_flag_setup, invariant=_seats_check)
    finding = find_race(load, seed=1, scheduler=scheduler)
    assert finding.unstable == (None, "5 round trips, then 0")
    note = finding.unstable_note()
    assert note is not None
    assert note.startswith("the clients one after the other, run twice, ran differently (5 round trips, then 0)")
    assert "reset it in SETUP" in note
    assert finding.to_dict()["unstable"] == {"seed": None, "difference": "5 round trips, then 0"}
    if finding.violation:  # the counterexample is the failing run as found, not a replay that did something else
        assert finding.counterexample is not None
        assert finding.counterexample.run.violated
        assert finding.counterexample.commands > 0


def test_a_deterministic_target_is_stable() -> None:
    finding = find_race(_stock(stock.reserve_naive), seed=1)
    assert finding.unstable is None
    assert finding.unstable_note() is None
    assert finding.to_dict()["unstable"] is None


def _reserve_under_a_redis_lock(r: redis.Redis, i: int) -> bool:
    with r.lock("stock-lock", timeout=1, sleep=0.01):  # redis-py's Lock: a uuid1 token, time.sleep between tries
        left = int(r.get(stock.KEY))  # type: ignore[arg-type]
        if left < 1:
            return False
        r.set(stock.KEY, left - 1)
        return True


def test_redis_pys_lock_runs_the_same_for_the_same_seed() -> None:
    # its token was uuid1(): the clock and the machine, another in every run, so no trace of it replayed
    load = Load(_reserve_under_a_redis_lock, clients=4, setup=stock.setup, invariant=stock.check)
    first, second = run(load, seed=3), run(load, seed=3)
    assert [(e.client, e.at, e.command, e.reply_text) for e in first.trace] == [
        (e.client, e.at, e.command, e.reply_text) for e in second.trace
    ]
    tokens = {e.commands[0][2] for e in first.trace if e.command.startswith("SET stock-lock")}
    assert len(tokens) == 4  # one per acquisition, all different
    finding = find_race(load, seed=1, schedules=30)
    assert not finding.violation
    assert finding.unstable is None
    import uuid

    assert uuid.uuid1() != uuid.uuid1()  # outside a run: the real ones
