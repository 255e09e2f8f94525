"""The seat service of the course ("Can I have a seat?"): workers running reservation jobs, in plain redis-py.

``available_seats`` holds the seats left (3 here), ``reservation_enabled`` is ``"1"``
while reservations are on, and the list ``queue:reserve_seat`` holds the queued
reservation jobs (4 here, one more than the seats). A worker takes jobs one by one;
each job reads the seats left, fails if there is none, else writes one less, and
switches reservations off when it took the last seat: the original's job handler.

The original started a new worker on every call of ``GET /process``. One worker
runs its jobs one after the other, and nothing can come between a job's read and
its write; :func:`worker` as one client never breaks the invariant. A second call
of ``/process`` is a second worker, and the two interleave: the GET-then-SET race.

The invariant: seats taken + seats left = 3, seats left ≥ 0, and reservations are
on exactly while seats are left.

Try: ``queuesim race-check queuesim.race.examples.seats:worker --setup setup --invariant check --clients 1``
(one worker: no violation), then ``--clients 2``.
"""

from __future__ import annotations

from typing import Any

import redis

from queuesim.race.examples.stock import count_holds

__all__ = ["INITIAL_SEATS", "JOBS", "JOBS_QUEUED", "SEATS", "SWITCH", "check", "setup", "worker"]

#: The key holding the seats left.
SEATS = "available_seats"
#: The reservations switch: ``"1"`` on, ``"0"`` off.
SWITCH = "reservation_enabled"
#: The queued reservation jobs.
JOBS = "queue:reserve_seat"
#: Seats on sale.
INITIAL_SEATS = 3
#: Reservation jobs waiting when the workers start.
JOBS_QUEUED = 4


def setup(r: redis.Redis) -> None:
    """Seats on sale, reservations on, jobs queued."""
    r.set(SEATS, INITIAL_SEATS)
    r.set(SWITCH, "1")
    r.rpush(JOBS, *range(JOBS_QUEUED))


def worker(r: redis.Redis, i: int) -> int:
    """One worker: takes reservation jobs until the queue is empty; returns the seats it reserved."""
    reserved = 0
    while r.lpop(JOBS) is not None:
        seats = int(r.get(SEATS))
        if seats <= 0:
            continue  # the job fails: "Not enough seats available"
        r.set(SEATS, seats - 1)  # another worker may have read the same count meanwhile
        if seats - 1 == 0:
            r.set(SWITCH, "0")
        reserved += 1
    return reserved


def check(r: redis.Redis, results: list[Any]) -> bool | str:
    """Seats taken + seats left = the initial seats, left ≥ 0, and reservations on exactly while seats are left."""
    left = int(r.get(SEATS))
    taken = sum(result for result in results if isinstance(result, int))
    verdict = count_holds(taken, left, INITIAL_SEATS)
    if verdict is not True:
        return verdict
    enabled = r.get(SWITCH) == "1"
    if enabled != (left > 0):
        return f"reservations are {'on' if enabled else 'off'} with {left} seats left"
    return True
