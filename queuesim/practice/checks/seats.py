"""Task 13: the seat service over HTTP (its state shared in Redis, one worker, the log lines) and its
reservation under concurrent workers.

A job runs after ``/process`` starts the worker, so lines are compared per job
and waited for with a deadline; the verdict is the same on every run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import redis

from queuesim.practice.apps import SEAT_QUEUE, RouteError, SeatApp, create_seats_app
from queuesim.practice.checks.jobs import Endings, job_ids
from queuesim.practice.checks.routes import ServedRoutes
from queuesim.practice.grading import Grader, need
from queuesim.practice.learner import LearnerError, describe_call
from queuesim.practice.races import Broken, RaceSpec, check_race, read_int, results_of
from queuesim.practice.stores import ScriptFailingClient, Store
from queuesim.queue import JobState, Queue
from queuesim.seats import NOT_ENOUGH_SEATS, SEATS_KEY, SWITCH_KEY

__all__ = ["SEAT_RACE", "check_seats"]

_IN_PROCESS = '{"status":"Reservation in process"}'
_BLOCKED = '{"status":"Reservation are blocked"}'
_FAILED = '{"status":"Reservation failed"}'
_PROCESSING = '{"status":"Queue processing"}'
#: Seconds jobs get to finish, and log lines to come.
_FINISH = 20.0


def _seats(count: int) -> str:
    return json.dumps({"numberOfAvailableSeats": str(count)}, separators=(",", ":"))


class Log:
    """The service's log lines, which a check can wait for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def __repr__(self) -> str:
        return f"<Log {len(self.lines)} lines>"

    def __call__(self, line: str) -> None:
        with self._changed:
            self.lines.append(str(line))
            self._changed.notify_all()

    def wait(self, count: int, timeout: float = _FINISH) -> list[str]:
        """The lines once there are ``count`` of them (or what came within ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.lines) >= count, timeout)
            return list(self.lines)


class Service(ServedRoutes):
    """One server process of the learner's seat service, on a shared store, served on a loopback port."""

    def __init__(self, grader: Grader, module: ModuleType, store: Store) -> None:
        self.store = store
        self.client = store.client()
        self.queue_client = store.adopt(ScriptFailingClient(store.server))
        self.log = Log()
        self.seats = SeatApp(self.client, queue_client=self.queue_client, log=self.log)
        super().__init__(grader, create_seats_app(module, self.seats))

    def startup_error(self) -> RouteError | None:
        """What ``initialize`` raised at start, if it did."""
        errors: list[RouteError] = self.app.state.errors
        return next((error for error in errors if error.route == "initialize"), None)


@contextmanager
def _serving(grader: Grader, module: ModuleType, store: Store) -> Iterator[Service]:
    service = Service(grader, module, store)
    with service.served:
        yield service


def _wait_jobs(queue: Queue, count: int) -> list[JobState]:
    """The states of the queue's jobs once ``count`` jobs have completed or failed (or after the deadline)."""
    ids = job_ids(queue)
    if len(ids) >= count:
        Endings(queue).wait(ids[:count])
    return [job.state for job in (queue.get_job(i) for i in ids[:count]) if job.state is not None]


def _seat_spec(module: ModuleType) -> RaceSpec:
    reserve = module.reserve_seat

    def setup(r: redis.Redis) -> None:
        r.set(SEATS_KEY, 1)
        r.set(SWITCH_KEY, "1")

    def target(r: redis.Redis, i: int) -> Any:
        return reserve(r)

    def invariant(r: redis.Redis, results: list[Any]) -> bool | str:
        values, errors = results_of(results)
        left = read_int(r, SEATS_KEY)
        wrong = [e for e in errors if NOT_ENOUGH_SEATS not in str(e)]
        if wrong:
            return f"a worker's call raised {type(wrong[0]).__name__}: {wrong[0]}"
        if left is None or left < 0 or len(values) + left != 1:
            return f"1 seat left: {len(values)} seat{'' if len(values) == 1 else 's'} taken, available_seats = {left}"
        if r.get(SWITCH_KEY) != "0":
            return f"the last seat is taken but reservation_enabled = {r.get(SWITCH_KEY)!r}"
        return True

    return RaceSpec(target, setup, invariant, role="worker", keys=(SEATS_KEY, SWITCH_KEY), function="reserve_seat")


def _below_zero(found: Broken) -> str | None:
    return "seats-below-zero" if f"{SEATS_KEY} = -" in found.verdict else None


#: What the race check runs: ``SEAT_RACE(module)`` for a learner's module (see :mod:`queuesim.practice.races`).
SEAT_RACE = _seat_spec


def _check_functions(grader: Grader, module: ModuleType) -> None:
    with grader.check("reserve_seat with no seat left fails with 'Not enough seats available' and takes nothing",
                      "seats-below-zero") as check:
        store = Store()
        client = store.client()
        client.set(SEATS_KEY, 0)
        client.set(SWITCH_KEY, "0")
        try:
            outcome = grader.call(need(module, "reserve_seat"), client)
        except LearnerError as error:
            if error.error is None or isinstance(error.error, NotImplementedError):
                raise
            check.expect(NOT_ENOUGH_SEATS, str(error.error))
        else:
            check.fail(f"an error: {NOT_ENOUGH_SEATS}", f"it returned {outcome.value!r}")
        finally:
            left = client.get(SEATS_KEY)
            store.close()
        check.expect("0", left)
    with grader.check("workers at once (two, then three), one seat left: one takes it, the others fail, the count "
                      "stays at 0, whatever the timing", "seat-race") as check:
        need(module, "reserve_seat")
        check_race(grader, check, _seat_spec(module), "1 seat taken, available_seats = 0, reservations off",
                   "seat-race", diagnose=_below_zero)


def check_seats(grader: Grader) -> None:
    """Task 13 (``100-seat.py``)."""
    module = grader.load("100-seat")
    if module is None:
        return
    store = Store()
    with _serving(grader, module, store) as first:
        with grader.check("at first start, GET /available_seats answers {\"numberOfAvailableSeats\":\"50\"}",
                          "seat-routes") as check:
            error = first.startup_error()
            if error is not None and error.error is not None:
                check.fail("initialize to store 50 seats", describe_call("initialize", error.error, grader.files()),
                           "not-written" if isinstance(error.error, NotImplementedError) else "keep-on-restart")
            first.expect(check, "/available_seats", 200, _seats(50))
        with grader.check("GET /reserve_seat saves a job and answers 202 Reservation in process",
                          "seat-routes") as check:
            first.expect(check, "/reserve_seat", 202, _IN_PROCESS)
            check.expect({"inactive": 1}, {k: v for k, v in Queue(SEAT_QUEUE, redis=first.client).counts().items()
                                            if v})
        completed = False
        with grader.check("GET /process answers Queue processing, and the job takes a seat", "seat-routes") as check:
            first.expect(check, "/process", 200, _PROCESSING)
            check.expect([JobState.COMPLETE], _wait_jobs(first.seats.queue, 1))
            completed = True
            first.expect(check, "/available_seats", 200, _seats(49))
        with grader.check("the service logs 'Seat reservation job 1 completed'", "seat-log") as check:
            check.expect(["Seat reservation job 1 completed"], first.log.wait(1, _FINISH if completed else 0))
        with grader.check("GET /process again starts no more workers", "one-worker") as check:
            first.expect(check, "/process", 200, _PROCESSING)
            first.expect(check, "/process", 200, _PROCESSING)
            check.expect(1, len(first.seats.workers))
        with grader.check("a reservation job that cannot be saved answers 503 Reservation failed",
                          "answer-after-save") as check:
            first.queue_client.failing = True
            try:
                first.expect(check, "/reserve_seat", 503, _FAILED)
            finally:
                first.queue_client.failing = False
    _check_last_seat(grader, module)
    _check_functions(grader, module)
    store.close()


def _check_last_seat(grader: Grader, module: ModuleType) -> None:
    store = Store()
    client = store.client()
    client.set(SEATS_KEY, 1)
    with _serving(grader, module, store) as service:
        with grader.check("a restart keeps the stored count", "keep-on-restart") as check:
            service.expect(check, "/available_seats", 200, _seats(1))
        with grader.check("the last seat switches reservations off; a job finding no seat fails with "
                          "'Not enough seats available'", "switch-off-at-zero") as check:
            service.expect(check, "/reserve_seat", 202, _IN_PROCESS)
            service.expect(check, "/reserve_seat", 202, _IN_PROCESS)
            service.expect(check, "/process", 200, _PROCESSING)
            states = _wait_jobs(service.seats.queue, 2)
            check.expect(sorted([JobState.COMPLETE, JobState.FAILED]), sorted(states),
                         diagnose=lambda _: "seats-below-zero")
            lines = sorted(service.log.wait(2))
            failed = [job for job in service.seats.queue.jobs(JobState.FAILED)]
            failed_id = failed[0].id if failed else "?"
            completed_id = "2" if failed_id == "1" else "1"
            check.expect(sorted([f"Seat reservation job {completed_id} completed",
                                 f"Seat reservation job {failed_id} failed: {NOT_ENOUGH_SEATS}"]), lines,
                         diagnose=lambda _: "seats-below-zero")
            check.expect("0", service.client.get(SEATS_KEY), diagnose=lambda _: "seats-below-zero")
            service.expect(check, "/available_seats", 200, _seats(0))
        with grader.check("then GET /reserve_seat answers 409 Reservation are blocked", "switch-off-at-zero") as check:
            service.expect(check, "/reserve_seat", 409, _BLOCKED)
    with grader.check("another server process sees reservations blocked (the switch is in Redis)",
                      "switch-in-redis") as check:
        try:
            second = grader.submission.fresh(grader.task.files[0])
        except Exception as error:  # the file loaded once already: this is unexpected
            check.fail("the file loaded again", str(error))
        with _serving(grader, second, store) as other:
            other.expect(check, "/reserve_seat", 409, _BLOCKED)
    store.close()
