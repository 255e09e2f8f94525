"""Schedulers: seeds, PCT's priorities and change points, and what each decides."""

from __future__ import annotations

import pytest

from queuesim.race import Load, PCTScheduler, RandomScheduler, run_with
from queuesim.race.examples import stock
from queuesim.race.schedulers import SEED_LIMIT, make_scheduler, schedule_seed
from queuesim.race.stores import Stores
from queuesim.sim.streams import RandomStreams


def _load(clients: int = 4, **options: object) -> Load:
    return Load(stock.reserve_naive, clients=clients, setup=stock.setup, invariant=stock.check, **options)  # type: ignore[arg-type]


def test_schedule_seeds_start_with_the_seed_and_do_not_repeat() -> None:
    assert schedule_seed(42, 0) == 42
    seeds = [schedule_seed(42, j) for j in range(10_000)]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < SEED_LIMIT for s in seeds)
    others = {schedule_seed(s, j) for s in range(1, 51) for j in range(200)}
    assert len(others) == 50 * 200  # 50 finder seeds share no schedule: their counts are independent


def test_pct_priorities_are_distinct_and_change_points_lower_below_all() -> None:
    scheduler = PCTScheduler(_load(5), RandomStreams(3), depth=3, steps=10)
    assert sorted(scheduler.priority.values()) == [3, 4, 5, 6, 7]
    assert len(scheduler.change_points) == 2
    assert set(scheduler.change_points.values()) == {1, 2}
    assert all(1 <= step <= 10 for step in scheduler.change_points)
    first = min(scheduler.change_points)
    running = max(scheduler.priority, key=scheduler.priority.__getitem__)
    for _ in range(first):
        scheduler.executed(running)
    assert scheduler.priority[running] == scheduler.change_points[first] < 3  # below every first priority


def test_pct_runs_the_highest_priority_client_and_waits_for_it() -> None:
    scheduler = PCTScheduler(_load(3), RandomStreams(1), depth=1, steps=6)
    top = max(scheduler.priority, key=scheduler.priority.__getitem__)
    others = [c for c in range(3) if c != top]
    assert scheduler.choose({others[0]}, {0, 1, 2}, set()) is None  # the top one's command is on its way
    assert scheduler.choose({top, others[0]}, {0, 1, 2}, set()) == top
    assert scheduler.choose({others[0]}, set(others), {top}) in others
    with pytest.raises(ValueError, match="PCT needs depth"):
        PCTScheduler(_load(3), RandomStreams(1), depth=0, steps=6)


def test_pct_depth_one_is_sequential_in_priority_order() -> None:
    load = _load(4)
    scheduler = PCTScheduler(load, RandomStreams(8), depth=1, steps=8)
    order = sorted(scheduler.priority, key=scheduler.priority.__getitem__, reverse=True)
    result = run_with(load, scheduler)
    clients = [e.client for e in result.trace]
    assert clients == [c for c in order for _ in range(2)]  # each runs its GET and SET, highest first
    assert not result.violated  # no change point, no interleaving, no lost update


def test_pct_finds_the_lost_update_with_a_bounded_probability() -> None:
    # Burckhardt et al.: depth 2 among n=4 clients, k=8 steps: at least 1/(n·k) = 1/32 per run
    load = _load(4)
    stores = Stores("fast")  # one store for the 200 runs
    found = sum(run_with(load, PCTScheduler(load, RandomStreams(s), depth=2, steps=8), stores=stores).violated
                for s in range(200))
    assert found / 200 >= 1 / 32


def test_the_random_scheduler_draws_delays_around_half_the_rtt() -> None:
    scheduler = RandomScheduler(_load(rtt_ms=4.0), RandomStreams(1))
    delays = [scheduler.one_way() for _ in range(4000)]
    assert sum(delays) / len(delays) == pytest.approx(0.002, rel=0.05)
    assert RandomScheduler(_load(rtt_ms=0.0), RandomStreams(1)).one_way() == 0.0


def test_mixed_draws_the_kind_from_the_seed() -> None:
    kinds = {type(make_scheduler("mixed", _load(), RandomStreams(s), steps=8)).__name__ for s in range(20)}
    assert kinds == {"RandomScheduler", "PCTScheduler"}
    with pytest.raises(ValueError, match="needs steps"):
        make_scheduler("pct", _load(), RandomStreams(1))
