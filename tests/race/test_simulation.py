"""One run of a load: determinism, arrivals and delays, results, verdicts, and the errors that stop a run."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis

from queuesim.race import RUNNING, Load, OrderedScheduler, RaceError, run, run_with, sleep
from queuesim.race.examples import stock


def _naive(**options: Any) -> Load:
    return Load(stock.reserve_naive, setup=stock.setup, invariant=stock.check, **options)


def _fingerprint(result: Any) -> list[tuple[Any, ...]]:
    return [(e.client, e.sent, e.at, e.received, e.command, e.reply_text) for e in result.trace]


@pytest.mark.parametrize("scheduler", ["random", "pct", "mixed"])
def test_the_same_seed_gives_the_same_run_bit_for_bit(scheduler: str) -> None:
    load = _naive(clients=6, arrival_rate=2000.0)
    first, second = run(load, seed=11, scheduler=scheduler), run(load, seed=11, scheduler=scheduler)
    assert _fingerprint(first) == _fingerprint(second)  # floats compared exactly
    assert first.results == second.results
    assert first.violation == second.violation
    assert any(_fingerprint(run(load, seed=s, scheduler=scheduler)) != _fingerprint(first) for s in range(12, 16))


def test_times_are_consistent_and_arrivals_follow_the_load() -> None:
    together = run(_naive(clients=5), seed=3)
    assert {c.arrived for c in together.clients} == {0.0}
    poisson = run(_naive(clients=5, arrival_rate=1000.0), seed=3)
    arrivals = [c.arrived for c in poisson.clients]
    assert arrivals == sorted(arrivals)
    assert arrivals[0] > 0
    assert len(set(arrivals)) == 5
    for result in (together, poisson):
        assert [e.at for e in result.trace] == sorted(e.at for e in result.trace)  # execution order
        for e in result.trace:
            assert e.received is not None
            assert e.sent <= e.at <= e.received


def test_a_deterministic_delay_takes_exactly_half_the_rtt_each_way() -> None:
    result = run(Load(lambda r, i: r.get("k"), clients=1, rtt_ms=3.0, delay="det"))
    [entry] = result.trace
    assert (entry.sent, entry.at, entry.received) == (0.0, pytest.approx(0.0015), pytest.approx(0.003))


def test_results_hold_return_values_and_exceptions() -> None:
    def target(r: redis.Redis, i: int) -> int:
        r.incr("n")
        if i == 1:
            raise ValueError("client one fails")
        return i * 10

    result = run(Load(target, clients=3))
    assert result.results[0] == 0
    assert result.results[2] == 20
    assert isinstance(result.results[1], ValueError)
    assert list(result.errors) == [1]
    assert result.clients[1].describe() == "client 1 raised ValueError: client one fails after INCRBY n 1"
    assert not result.violated
    assert result.format().splitlines()[-1] == "no invariant: only errors are looked for"


def test_the_invariant_sees_the_store_after_the_run_and_every_result() -> None:
    seen: list[Any] = []

    def check(r: redis.Redis, results: list[Any]) -> bool:
        seen.append((r.get("n"), list(results)))
        return True

    run(Load(lambda r, i: r.incr("n"), clients=3, invariant=check))
    [(count, results)] = seen
    assert count == "3"
    assert sorted(results) == [1, 2, 3]


def test_invariant_answers() -> None:
    base = {"clients": 1}
    assert run(Load(lambda r, i: None, invariant=lambda r, res: True, **base)).violation is None
    refused = run(Load(lambda r, i: None, invariant=lambda r, res: False, **base))
    assert refused.violation == "the invariant returned False"
    assert run(Load(lambda r, i: None, invariant=lambda r, res: "too many", **base)).violation == "too many"

    def asserting(r: redis.Redis, results: list[Any]) -> None:
        assert results == ["x"], "not x"

    assert run(Load(lambda r, i: None, invariant=asserting, **base)).violation == "not x"
    with pytest.raises(RaceError, match=r"returned None; .*an assert-style check ends with `return True`"):
        run(Load(lambda r, i: None, invariant=lambda r, res: None, **base))


def test_the_invariant_after_every_command_sees_running_clients() -> None:
    seen: list[list[Any]] = []

    def check(r: redis.Redis, results: list[Any]) -> bool | str:
        seen.append(list(results))
        return int(r.get("stock") or 0) >= 0 or "negative stock"

    def target(r: redis.Redis, i: int) -> bool:
        r.decr("stock")
        return True

    result = run(Load(target, clients=2, setup=lambda r: r.set("stock", 1), invariant=check, check_every_command=True))
    assert result.violation is not None
    assert result.violation.startswith("negative stock (after command 2, DECRBY")
    assert result.format().splitlines()[-1].startswith(
        "invariant violated (checked after every command and at the end): negative stock (after command 2")
    assert seen[0] == [RUNNING, RUNNING]  # after the first command nobody has ended
    assert not RUNNING
    assert repr(RUNNING) == "RUNNING"
    assert len(result.trace) == 2
    assert any(c.result is RUNNING for c in result.clients)


def test_setup_that_raises_is_an_error_naming_it() -> None:
    def setup(r: redis.Redis) -> None:
        raise KeyError("missing")

    with pytest.raises(RaceError, match=r"setup .*setup raised KeyError: 'missing' \(schedule seed 5\)"):
        run(Load(lambda r, i: None, setup=setup), seed=5)


def test_an_invariant_that_raises_names_the_clients_that_raised() -> None:
    def target(r: redis.Redis, i: int) -> int:
        return int(r.get("missing"))  # type: ignore[arg-type]

    def check(r: redis.Redis, results: list[Any]) -> bool:
        return sum(results) == 2

    with pytest.raises(RaceError) as caught:
        run(Load(target, clients=2, invariant=check), seed=9)
    message = str(caught.value)
    assert "the invariant" in message
    assert "raised TypeError" in message
    assert "schedule seed 9" in message
    assert "client 0 raised TypeError: int() argument must be" in message


def test_a_target_that_never_ends_stops_at_the_command_budget() -> None:
    def forever(r: redis.Redis, i: int) -> None:
        while True:
            r.incr("spins")

    with pytest.raises(RaceError, match=r"schedule seed 4: the clients sent more than 50 commands without ending "
                                        r"\(client \d was sending INCRBY spins 1\); does the target loop forever"):
        run(Load(forever, clients=2, max_commands=50), seed=4, scheduler="random")


def test_a_target_that_only_sleeps_forever_stops_at_the_budget_too() -> None:
    def dozing(r: redis.Redis, i: int) -> None:
        while True:
            sleep(1.0)

    with pytest.raises(RaceError, match="a sleep"):
        run(Load(dozing, clients=1, max_commands=20))


def test_a_stopped_run_unwinds_its_clients() -> None:
    unwound: list[int] = []

    def target(r: redis.Redis, i: int) -> None:
        try:
            while True:
                r.incr("n")
        finally:
            unwound.append(i)
            r.set("after", i)  # runs directly on the store: no hang, no error

    with pytest.raises(RaceError):
        run(Load(target, clients=3, max_commands=30))
    assert sorted(unwound) == [0, 1, 2]


@pytest.mark.parametrize(("options", "message"), [
    ({"target": 3}, "target must be a callable"),
    ({"target": lambda r: None}, r"target .* must take \(r, i\)"),
    ({"setup": lambda: None}, r"setup .* must take \(r\)"),
    ({"invariant": lambda r: True}, r"invariant .* must take \(r, results\)"),
    ({"clients": 0}, "clients must be an int ≥ 1"),
    ({"rtt_ms": -1}, "rtt_ms"),
    ({"arrival_rate": 0}, "arrival_rate"),
    ({"delay": "uniform"}, "unknown delay distribution 'uniform'"),
    ({"backend": "redis"}, "unknown backend 'redis'"),
    ({"max_commands": 0}, "max_commands"),
])
def test_bad_loads_are_refused_with_the_reason(options: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"target": lambda r, i: None, **options}
    with pytest.raises((TypeError, ValueError), match=message):
        Load(**arguments)


def test_unknown_scheduler_and_bad_seed() -> None:
    with pytest.raises(ValueError, match="unknown scheduler 'fifo'"):
        run(_naive(), scheduler="fifo")
    with pytest.raises(ValueError, match="seed must be an int from 0"):
        run(_naive(), seed=-1)


@pytest.mark.timeout(30, method="thread")  # the signal method's exception would be swallowed too
def test_a_stopped_client_that_swallows_greenlet_exit_is_abandoned_not_waited_for() -> None:
    # a learner's retry loop with a bare except catches the GreenletExit that unwinds a stopped run
    def stubborn(r: redis.Redis, i: int) -> None:
        while True:
            try:
                r.incr("n")
                sleep(0.001)
            except:  # noqa: E722
                continue

    with pytest.raises(RaceError, match="more than 40 commands"):
        run(Load(stubborn, clients=2, max_commands=40), seed=3)


@pytest.mark.parametrize("where", ["target", "setup", "invariant"])
def test_sys_exit_in_user_code_does_not_end_the_check(where: str) -> None:
    def exits(*args: Any) -> Any:
        raise SystemExit(3)

    def target(r: redis.Redis, i: int) -> int:
        return int(r.incr("n"))

    if where == "target":
        result = run(Load(exits, clients=2, invariant=lambda r, results: True))
        assert [type(x) for x in result.results] == [SystemExit, SystemExit]
        assert result.clients[0].describe() == "client 0 raised SystemExit: 3 before any command"
        return
    load = Load(target, clients=2, **{where: exits})  # type: ignore[arg-type]
    with pytest.raises(RaceError, match=f"{'setup' if where == 'setup' else 'the invariant'} .* raised SystemExit: 3"):
        run(load)


def _watch_loop_hiding_its_error(r: redis.Redis, i: int) -> bool:
    """A learner's WATCH loop whose bare except hides a Python error: after MULTI, WATCH raises at once, forever."""
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch("stock")
                left = int(pipe.get("stock"))
                pipe.multi()
                pipe.set("stock")  # type: ignore[call-arg]  # forgot the value: TypeError, before any command
                pipe.execute()
                return left > 0
            except:  # noqa: E722
                continue


def _spinning_without_commands(r: redis.Redis, i: int) -> None:
    while True:
        pass


@pytest.mark.timeout(60, method="thread")
@pytest.mark.parametrize("target", [_watch_loop_hiding_its_error, _spinning_without_commands])
def test_a_client_computing_without_end_is_stopped_by_the_stall_limit(target: Any) -> None:
    # the command budget cannot see a loop that sends nothing; the time limit between two round trips can
    load = Load(target, clients=2, setup=lambda r: r.set("stock", 4), stall_seconds=0.3)
    with pytest.raises(RaceError, match=r"client \d ran for more than 0.3 s without sending a "
                                        r"command \(schedule seed 6\)"):
        run(load, seed=6, scheduler="random")


def test_the_stall_limit_is_checked() -> None:
    with pytest.raises(ValueError, match="stall_seconds"):
        Load(lambda r, i: None, stall_seconds=0)


_PROCESS_LOCK = threading.Lock()


def _reserve_under_a_process_lock(r: redis.Redis, i: int) -> bool:
    """A learner's guard: a lock of this process (the simulated clients are greenlets of one thread)."""
    with _PROCESS_LOCK:
        left = int(r.get("stock"))  # type: ignore[arg-type]
        r.set("stock", left - 1)
        return True


@pytest.mark.timeout(60, method="thread")
def test_a_client_blocked_on_a_threading_lock_another_holds_is_stopped() -> None:
    # before: client 1 blocked the one thread in lock.acquire() while client 0, holding it, waited for its reply
    load = Load(_reserve_under_a_process_lock, clients=2, setup=lambda r: r.set("stock", 4), stall_seconds=0.3)
    with pytest.raises(RaceError, match=r"client 1 ran for more than 0.3 s without sending a command \(an explicit "
                                        r"schedule\) before any command: .*a threading lock another client holds"):
        run_with(load, OrderedScheduler(load, [(0, 1), (1, 1)]))
    assert _PROCESS_LOCK.acquire(blocking=False)  # client 0 unwound and gave it back
    _PROCESS_LOCK.release()


def test_run_defaults_to_the_finders_mixed_scheduler() -> None:
    load = _naive()
    kinds = {run(load, seed=s).scheduler.split()[0] for s in range(1, 13)}
    assert kinds == {"random", "PCT"}  # mixed: each seed draws random or PCT
    for s in (1, 2, 3):
        assert _fingerprint(run(load, seed=s)) == _fingerprint(run(load, seed=s, scheduler="mixed"))
