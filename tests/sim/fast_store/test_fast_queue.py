"""The queue's real conversations and Lua scripts on FastStore, fakeredis (and real Redis): same results, same data."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from diffkit import Store, assert_same, assert_same_data, outcome

from queuesim.drivers import Conversation, SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import JobOptions
from queuesim.queue.record import enqueue_fields

KEYS = QueueKeys("q")
MAXLEN = 50
LEASE = 1000


class Lockstep:
    """Runs each conversation on every store and checks that they all give the same result."""

    def __init__(self, stores: list[Store]) -> None:
        self.stores = stores
        self.drivers = {s.name: SyncDriver(s.clients[0]) for s in stores}

    def __call__(self, make: Callable[[], Conversation[Any]]) -> Any:
        results = {name: outcome(lambda d=d: d.run(make())) for name, d in self.drivers.items()}
        assert_same(results, repr(make()))
        return results["fast"]

    def check_data(self) -> None:
        assert_same_data(self.stores)


@pytest.fixture
def run(stores: list[Store]) -> Lockstep:
    return Lockstep(stores)


def fetch(now: int, count: int = 1, worker: str = "w1", stall_ms: int = 5000, max_stalls: int = 1) -> Any:
    return lambda: conv.fetch(KEYS, MAXLEN, now, count, lease_ms=LEASE, token_prefix=worker,
                              stall_interval_ms=stall_ms, max_stalls=max_stalls)


def enqueue(now: int, *jobs: tuple[str, JobOptions]) -> Any:
    return lambda: conv.enqueue(KEYS, MAXLEN, now, [(data, enqueue_fields(options)) for data, options in jobs])


def test_enqueue_fetch_finish_every_outcome(run: Lockstep) -> None:
    run(enqueue(1000, ('{"n":1}', JobOptions())))
    run(enqueue(1001, ('{"n":2}', JobOptions(priority=-10)), ('"two"', JobOptions(attempts=3)),
                ("[1,2]", JobOptions(delay=300)), ("null", JobOptions(remove_on_complete=True, priority=5)),
                ('{"quiet":true}', JobOptions(events=False, attempts=2))))
    run(lambda: conv.counts(KEYS))
    for order in ("asc", "desc"):
        run(lambda order=order: conv.range_ids(KEYS, "inactive", 0, -1, order))
    claimed = run(fetch(1010, count=3))
    run(lambda: conv.renew(KEYS, 1500, [(j.id, j.token) for j in claimed.jobs] + [("999", "nope")]))
    outcomes = [
        conv.Outcome(claimed.jobs[0].id, claimed.jobs[0].token, "complete", '{"done":1}'),
        conv.Outcome(claimed.jobs[1].id, claimed.jobs[1].token, "fail", "boom", "trace", 0),
        conv.Outcome(claimed.jobs[2].id, claimed.jobs[2].token, "requeue"),
        conv.Outcome("999", "stale", "complete"),
    ]
    run(lambda: conv.finish(KEYS, MAXLEN, 1020, outcomes))
    more = run(fetch(1400, count=5, worker="w2"))
    outcomes = [conv.Outcome(j.id, j.token, "fail", "again", "", 200) for j in more.jobs]
    run(lambda: conv.finish(KEYS, MAXLEN, 1410, outcomes))
    run(lambda: conv.promote(KEYS, MAXLEN, 1700))
    last = run(fetch(1700, count=10, worker="w3"))
    run(lambda: conv.finish(KEYS, MAXLEN, 1750, [conv.Outcome(j.id, j.token, "complete", "7") for j in last.jobs]))
    run(lambda: conv.counts(KEYS))
    run.check_data()


def test_stalled_jobs_are_recovered_then_failed(run: Lockstep) -> None:
    run(enqueue(0, ("1", JobOptions()), ("2", JobOptions(attempts=2))))
    run(fetch(10, count=2))
    run(fetch(2000, count=0))  # leases ran out at 1010, stall check due: both back to inactive
    run(fetch(2001, count=2, worker="w2", max_stalls=1))
    run(lambda: conv.recover_stalled(KEYS, MAXLEN, 5000, stall_interval_ms=5000, max_stalls=1))  # stalled twice
    run(lambda: conv.counts(KEYS))
    run.check_data()


def test_move_remove_clean_progress_logs_pause(run: Lockstep) -> None:
    run(enqueue(0, *[(f'{{"i":{i}}}', JobOptions(priority=i % 3)) for i in range(6)]))
    claimed = run(fetch(5, count=2))
    job = claimed.jobs[0]
    run(lambda: conv.progress(KEYS, MAXLEN, job.id, 40, '{"step":"half/way"}', 6))
    run(lambda: conv.progress(KEYS, MAXLEN, "404", 40, "null", 6))
    run(lambda: conv.log(KEYS, job.id, "line one"))
    run(lambda: conv.logs(KEYS, job.id))
    run(lambda: conv.move(KEYS, MAXLEN, job.id, "complete", 7))
    run(lambda: conv.move(KEYS, MAXLEN, "3", "delayed", 8))
    run(lambda: conv.move(KEYS, MAXLEN, "4", "", 8, priority=-20))
    run(lambda: conv.move(KEYS, MAXLEN, "5", "failed", 9))
    run(lambda: conv.move(KEYS, MAXLEN, "5", "inactive", 10))
    run(lambda: conv.move(KEYS, MAXLEN, "404", "inactive", 10))
    run(lambda: conv.finish(KEYS, MAXLEN, 11, [conv.Outcome(j.id, j.token, "complete") for j in claimed.jobs]))
    run(lambda: conv.remove(KEYS, MAXLEN, "6"))
    run(lambda: conv.remove(KEYS, MAXLEN, "6"))
    run(lambda: conv.get_record(KEYS, "4"))
    run(lambda: conv.get_records(KEYS, ["1", "404", "2"]))
    run(lambda: conv.clean(KEYS, "complete", 10, 100))
    run(lambda: conv.set_paused(KEYS, True))
    run(fetch(20, count=5))
    run(lambda: conv.set_paused(KEYS, False))
    run(lambda: conv.fetch_and_finish(KEYS, MAXLEN, 30, [], 2, lease_ms=LEASE, token_prefix="w",
                                      stall_interval_ms=5000, max_stalls=1))
    run.check_data()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_workers_in_lockstep(run: Lockstep, seed: int) -> None:
    """Several workers claim, run and report jobs with random outcomes; leases sometimes lapse."""
    rng = random.Random(seed)
    now = 0
    held: dict[str, list[conv.ClaimedJob]] = {"a": [], "b": [], "c": []}
    for step in range(120):
        now += rng.randint(1, 400)
        if rng.random() < 0.5:
            jobs = [(f'{{"step":{step},"k":{k}}}', JobOptions(priority=rng.choice([-5, 0, 5]),
                     delay=rng.choice([0, 0, 500]), attempts=rng.choice([1, 2, 3]),
                     remove_on_complete=rng.random() < 0.3)) for k in range(rng.randint(1, 3))]
            run(enqueue(now, *jobs))
        worker = rng.choice(sorted(held))
        outcomes = []
        for job in held[worker]:
            kind = rng.choice(["complete", "complete", "fail", "requeue"])
            outcomes.append(conv.Outcome(job.id, job.token, kind, '"r"' if kind == "complete" else "err", "",
                                         rng.choice([0, 300])))
        if rng.random() < 0.15:
            outcomes = []  # the worker died: its leases lapse and the stall check recovers its jobs
        got = run(lambda worker=worker, outcomes=outcomes, now=now: conv.fetch_and_finish(
            KEYS, MAXLEN, now, outcomes, 2, lease_ms=LEASE, token_prefix=worker, stall_interval_ms=700,
            max_stalls=2))
        held[worker] = list(got[1].jobs)
    run(lambda: conv.counts(KEYS))
    run.check_data()
