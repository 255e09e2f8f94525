"""The two-client explorer: a lost update is found with its schedule, atomic versions pass, the same every run."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from queuesim.practice import interleave
from queuesim.practice.interleave import Blocked, TooManySteps, explore_two_clients

KEY = "item.1"


def setup(r: redis.Redis) -> None:
    r.set(KEY, 1)


def one_unit_sold(r: redis.Redis, results: list[Any]) -> bool | str:
    confirmed = sum(1 for value in results if value is True)
    left = int(r.get(KEY) or 0)
    return (confirmed + left == 1 and left >= 0) or f"{confirmed} confirmed, {KEY} = {left}"


def get_then_set(r: redis.Redis, i: int) -> bool:
    left = int(r.get(KEY) or 0)
    if left < 1:
        return False
    r.set(KEY, left - 1)
    return True


LUA = "local n = tonumber(redis.call('GET', KEYS[1]) or '0') if n < 1 then return 0 end " \
      "redis.call('DECR', KEYS[1]) return 1"


def lua(r: redis.Redis, i: int) -> bool:
    return bool(r.register_script(LUA)(keys=[KEY]))


def watch_multi(r: redis.Redis, i: int) -> bool:
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(KEY)
                left = int(pipe.get(KEY) or 0)
                if left < 1:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.set(KEY, left - 1)
                pipe.execute()
                return True
            except redis.WatchError:
                continue


def transaction_helper(r: redis.Redis, i: int) -> bool:
    taken: list[bool] = []

    def take(pipe: Any) -> None:
        left = int(pipe.get(KEY) or 0)
        pipe.multi()
        if left >= 1:
            pipe.set(KEY, left - 1)
        taken[:] = [left >= 1]

    r.transaction(take, KEY)
    return taken[0]


def decrement_then_undo(r: redis.Redis, i: int) -> bool:
    if r.decr(KEY) >= 0:
        return True
    r.incr(KEY)
    return False


def test_the_lost_update_is_found_with_its_schedule() -> None:
    found = explore_two_clients(get_then_set, setup, one_unit_sold)
    assert found is not None
    assert found.lines() == [
        "A: GET item.1 → '1'",
        "B: GET item.1 → '1'",
        "B: SET item.1 0 → True",
        "A: SET item.1 0 → True",
        "A returned True",
        "B returned True",
        "2 confirmed, item.1 = 0",
    ]
    assert found.preempted_at == 2


def test_the_same_counterexample_every_time() -> None:
    runs = [explore_two_clients(get_then_set, setup, one_unit_sold) for _ in range(3)]
    assert all(run is not None for run in runs)
    assert len({tuple(run.lines()) for run in runs if run is not None}) == 1


@pytest.mark.parametrize("target", [lua, watch_multi, transaction_helper, decrement_then_undo])
def test_atomic_versions_pass_every_schedule(target: Any) -> None:
    assert explore_two_clients(target, setup, one_unit_sold) is None


def test_a_wrong_result_without_any_overlap_is_found_too() -> None:
    def always_true(r: redis.Redis, i: int) -> bool:
        return True

    found = explore_two_clients(always_true, setup, one_unit_sold)
    assert found is not None
    assert found.lines()[-1] == "2 confirmed, item.1 = 1"


def test_a_transaction_is_one_step_and_an_aborted_one_is_shown() -> None:
    def watch_once(r: redis.Redis, i: int) -> bool:
        with r.pipeline() as pipe:
            pipe.watch(KEY)
            left = int(pipe.get(KEY) or 0)
            pipe.multi()
            pipe.set(KEY, left - 1)
            try:
                pipe.execute()
            except redis.WatchError:
                return False
            return True

    def never(r: redis.Redis, results: list[Any]) -> str:
        return "show me"

    found = explore_two_clients(watch_once, setup, never)
    assert found is not None
    assert "MULTI; SET item.1 0; EXEC" in "\n".join(found.lines())


def test_a_lock_held_inside_the_process_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(interleave, "BLOCKED_SECONDS", 0.5)
    lock = threading.Lock()

    def locked(r: redis.Redis, i: int) -> bool:
        with lock:
            return get_then_set(r, i)

    with pytest.raises(Blocked, match=r"the second waited more than 0\.5 s"):
        explore_two_clients(locked, setup, one_unit_sold)


def test_a_call_that_never_stops_sending_is_stopped() -> None:
    def spin(r: redis.Redis, i: int) -> None:
        while True:
            r.get(KEY)

    with pytest.raises(TooManySteps, match="more than 200 commands"):
        explore_two_clients(spin, setup, one_unit_sold)


def test_errors_are_results() -> None:
    def fails(r: redis.Redis, i: int) -> None:
        raise ValueError("Not enough seats available")

    def both_failed(r: redis.Redis, results: list[Any]) -> bool:
        return all(isinstance(x, ValueError) for x in results)

    assert explore_two_clients(fails, setup, both_failed) is None
