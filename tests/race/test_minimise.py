"""ddmin, the schedule blocks, and minimising failing runs."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from queuesim.race import Load, OrderedScheduler, ddmin, minimise, run, run_with
from queuesim.race.examples import seats, stock
from queuesim.race.minimise import blocks_of


def test_ddmin_finds_a_one_minimal_subset() -> None:
    calls: list[list[int]] = []

    def fails(items: list[int]) -> bool:
        calls.append(items)
        return 3 in items and 7 in items

    assert ddmin(list(range(10)), fails) == [3, 7]
    assert [] not in calls
    assert ddmin([5], lambda items: True) == [5]
    assert ddmin(list(range(8)), lambda items: sum(items) >= 13) in ([6, 7], [7, 6])


def test_blocks_are_the_execution_order_run_length_encoded() -> None:
    assert blocks_of([0, 0, 1, 0, 2, 2, 2]) == [(0, 2), (1, 1), (0, 1), (2, 3)]
    assert blocks_of([]) == []


def test_an_ordered_schedule_runs_blocks_then_each_client_to_its_end() -> None:
    load = Load(stock.reserve_naive, clients=3, setup=stock.setup, invariant=stock.check)
    result = run_with(load, OrderedScheduler(load, [(2, 1), (0, 2)]))
    assert [e.client for e in result.trace] == [2, 0, 0, 1, 1, 2]  # after the blocks: lowest number first
    sequential = run_with(load, OrderedScheduler(load))
    assert [e.client for e in sequential.trace] == [0, 0, 1, 1, 2, 2]
    assert not sequential.violated
    with pytest.raises(ValueError, match="a block names client 3 of 3"):
        OrderedScheduler(load, [(3, 1)])


def test_a_block_of_a_client_that_ended_is_skipped() -> None:
    def short(r: redis.Redis, i: int) -> None:
        r.incr("n")

    load = Load(short, clients=2)
    result = run_with(load, OrderedScheduler(load, [(0, 5), (0, 1), (1, 1)]))
    assert [e.client for e in result.trace] == [0, 1]


def test_minimising_a_ten_client_lost_update() -> None:
    load = Load(stock.reserve_naive, clients=10, setup=stock.setup, invariant=stock.check)
    failing = run(load, seed=2, scheduler="random")
    assert failing.violated
    assert len(failing.trace) > 6
    counterexample = minimise(load, failing)
    assert counterexample.minimised
    assert counterexample.clients == 2
    assert counterexample.commands == 4
    assert len(counterexample.blocks) == 2
    assert counterexample.preemptions == 1
    assert sorted(counterexample.found_as) == counterexample.found_as
    assert len(set(counterexample.found_as)) == 2
    assert counterexample.run.initial_state == {"item.1": "4"}
    assert [e.state for e in counterexample.run.trace][-1] == {"item.1": "3"}
    with pytest.raises(ValueError, match="only a failing run"):
        minimise(load, run(Load(stock.reserve_lua, clients=2, setup=stock.setup, invariant=stock.check)))


def test_the_seat_workers_race_needs_the_second_worker() -> None:
    load = Load(seats.worker, clients=4, setup=seats.setup, invariant=seats.check)
    failing = next(r for r in (run(load, seed=s) for s in range(1, 40)) if r.violated)
    counterexample = minimise(load, failing)
    assert counterexample.clients == 2
    assert counterexample.preemptions >= 1
    alone = Load(seats.worker, clients=1, setup=seats.setup, invariant=seats.check)
    assert not any(run(alone, seed=s, scheduler="mixed").violated for s in range(30))


def test_a_failure_its_schedule_cannot_replay_is_kept_as_found() -> None:
    # a target that depends on the exact virtual time: the ordered replay (fixed delays) passes
    def timed(r: redis.Redis, i: int) -> Any:
        r.incr("n")
        return None

    def check(r: redis.Redis, results: list[Any]) -> bool:
        t = r.time()  # the store's clock: the run's virtual end
        return bool(t[1] % 1000 == 0)  # whole milliseconds only: holds for fixed delays, not random ones

    load = Load(timed, clients=2, invariant=check)
    failing = next(r for r in (run(load, seed=s) for s in range(1, 20)) if r.violated)
    counterexample = minimise(load, failing, rerun=lambda: failing)
    assert not counterexample.minimised
    assert counterexample.run is failing
