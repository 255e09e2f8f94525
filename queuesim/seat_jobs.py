"""Exercise 13's job side: seat reservations as jobs on queue ``reserve_seat``, and who processes them.

``GET /reserve_seat`` only enqueues a job (:func:`enqueue_reservation`); a
worker reserves the seat later (:func:`reservation_handler`), once
``GET /process`` has started it. A job that finds no seat fails with
``Not enough seats available``.

:class:`SeatProcessor` is what one server process keeps: the queue, **one**
worker started on the first request to process (later requests start no
more), and the log lines ``Seat reservation job <id> completed`` /
``Seat reservation job <id> failed: <error>``. Like the original's
``job.on(...)``, the lines are printed by the process that created the job,
from the job's events, whichever worker (or process) ran it.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis

from queuesim.drivers import Conversation
from queuesim.errors import NoSeatsAvailable, ReservationError
from queuesim.queue import conversations as conv
from queuesim.queue.job import Job
from queuesim.queue.keys import QueueKeys
from queuesim.queue.queue import Queue
from queuesim.queue.record import DEFAULT_FIELDS
from queuesim.queue.worker import Worker
from queuesim.seats import NOT_ENOUGH_SEATS, SeatStatus, initialize, reserve
from queuesim.supply import DEFAULT_MAX_RETRIES, Strategy, check_count, check_think

__all__ = [
    "EARLY_OUTCOMES",
    "EVENTS_MAXLEN",
    "QUEUE_NAME",
    "SEAT_QUEUE_KEYS",
    "SeatProcessor",
    "completed_line",
    "enqueue_reservation",
    "failed_line",
    "print_line",
    "reservation_handler",
]

log = logging.getLogger("queuesim.seats")

#: The queue of reservation jobs (the original's job type).
QUEUE_NAME = "reserve_seat"
#: Its keys (the queue's default prefix).
SEAT_QUEUE_KEYS = QueueKeys(QUEUE_NAME)
#: About how many events the queue's stream keeps (the queue's default).
EVENTS_MAXLEN = 10_000
#: Outcomes kept for jobs not (yet) followed by this process (other processes' jobs, mostly).
EARLY_OUTCOMES = 10_000
_DATA = json.dumps({})  # the original's job carried no data


def completed_line(job_id: str) -> str:
    """The server's log line for a job that reserved its seat."""
    return f"Seat reservation job {job_id} completed"


def failed_line(job_id: str, error: Any) -> str:
    """The server's log line for a job that failed (``error``: its message)."""
    return f"Seat reservation job {job_id} failed: {error}"


def print_line(line: str) -> None:
    """Write ``line`` to standard output at once (the server's log, as the original's ``console.log``)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def enqueue_reservation(now: int) -> Conversation[tuple[str, str | None]]:
    """Conversation: save one reservation job on ``reserve_seat``; returns its id and its first event's id.

    Any driver runs it, so an asyncio request handler enqueues without a thread.
    """
    ids, first_event = yield from conv.enqueue(SEAT_QUEUE_KEYS, EVENTS_MAXLEN, now, [(_DATA, DEFAULT_FIELDS)])
    return ids[0], first_event


def reservation_handler(
    strategy: Strategy | str = Strategy.ATOMIC,
    *,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> Callable[[Job], dict[str, int | None]]:
    """The job handler: reserve one seat with ``strategy``.

    The handler returns ``{"remaining": <seats left>}`` and raises
    :class:`~queuesim.NoSeatsAvailable` (``Not enough seats available``) when no
    seat is left, or :class:`~queuesim.ReservationError` when ``watch`` gave up.

    Raises:
        ValueError: an unknown strategy or an out-of-range argument.
    """
    chosen = Strategy.parse(strategy, "seat")
    think = check_think(think)
    check_count(max_retries, minimum=0, what="max_retries")

    def reserve_a_seat(job: Job) -> dict[str, int | None]:
        result = job.queue.driver.run(reserve(chosen, think=think, max_retries=max_retries))
        if result.status is SeatStatus.NO_SEATS:
            raise NoSeatsAvailable(NOT_ENOUGH_SEATS)
        if result.status is SeatStatus.CONTENDED:
            raise ReservationError(f"{SeatStatus.CONTENDED.value}: gave up after {result.retries} retries")
        return {"remaining": result.remaining}

    return reserve_a_seat


class SeatProcessor:
    """The ``reserve_seat`` queue of one server process: one worker on demand, and the jobs' log lines.

    Args:
        client: a synchronous client (the worker runs on threads, the event listener too).
        strategy: how jobs reserve their seat (see :mod:`queuesim.seats`).
        think: seconds of client work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before the job fails.
        concurrency: jobs the worker runs at once (1, as the original's ``queue.process``).
        shutdown_timeout: seconds :meth:`close` lets running jobs finish before they go
            back to ``inactive``.
        report: called with each log line (default: :func:`print_line`).
    """

    def __init__(
        self,
        client: redis.Redis,
        strategy: Strategy | str = Strategy.ATOMIC,
        *,
        think: float = 0.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        concurrency: int = 1,
        shutdown_timeout: float = 10.0,
        report: Callable[[str], None] = print_line,
    ) -> None:
        if not isinstance(client, redis.Redis):
            raise TypeError(
                f"the seat worker needs a synchronous redis.Redis client, not {type(client).__name__}"
            )
        self.handler = reservation_handler(strategy, think=think, max_retries=max_retries)
        self.strategy = Strategy.parse(strategy, "seat")
        self.concurrency = check_count(concurrency, minimum=1, what="concurrency")
        if not shutdown_timeout >= 0:
            raise ValueError(f"shutdown_timeout must be >= 0 seconds, got {shutdown_timeout!r}")
        self.shutdown_timeout = float(shutdown_timeout)
        self.queue = Queue(QUEUE_NAME, redis=client, events_maxlen=EVENTS_MAXLEN)
        self.report = report
        self.worker: Worker | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._listening = False
        # jobs this process saved whose outcome is still to come, and outcomes that came first
        self._followed: set[str] = set()
        self._early: OrderedDict[str, str] = OrderedDict()
        self._lines_lock = threading.Lock()

    def __repr__(self) -> str:
        state = "processing" if self.processing else "idle"
        return f"<SeatProcessor {self.strategy.value} {state}>"

    @property
    def processing(self) -> bool:
        """Whether this process's worker is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def listening(self) -> bool:
        """Whether the job events are being read (see :meth:`listen`)."""
        return self._listening

    def prepare(self) -> bool:
        """At server start: store the initial seats unless a count exists; True if it wrote.

        Also loads the enqueue script into Redis (so that a burst of first requests
        does not each meet ``NOSCRIPT`` and load it), registers the queue's name,
        warns if Redis may evict keys, and starts reading the job events
        (:meth:`listen`). Any Redis error
        propagates (the caller decides whether startup may go on).
        """
        client = self.queue.client
        written = self.queue.driver.run(initialize())
        client.script_load(conv.ENQUEUE.source)
        client.sadd(self.queue.keys.registry, QUEUE_NAME)
        self.queue.check_eviction_policy()
        self.listen()
        return written

    def listen(self) -> None:
        """Start reading the queue's job events (a Redis read; later calls do nothing).

        Outcomes of jobs saved from now on are logged by :meth:`follow`; a job
        whose worker died is logged when it is recovered.
        """
        with self._lock:
            if self._listening:
                return
            self.queue.on("job complete", lambda job_id, *_: self._ended(job_id, completed_line(job_id)))
            self.queue.on("job failed", lambda job_id, error="", *_: self._ended(job_id, failed_line(job_id, error)))
            self.queue.on("job stalled", self._stalled)
            self._listening = True

    @staticmethod
    def _stalled(job_id: str, *args: Any) -> None:
        log.warning("Seat reservation job %s stalled (its worker stopped answering); it will run again", job_id)

    def _ended(self, job_id: str, line: str) -> None:
        with self._lines_lock:
            if job_id in self._followed:
                self._followed.discard(job_id)
            else:  # not followed (yet): another process's job, or one that ended before follow()
                self._early[job_id] = line
                if len(self._early) > EARLY_OUTCOMES:
                    self._early.popitem(last=False)
                return
        self.report(line)

    def follow(self, job_id: str) -> None:
        """Print the log line of job ``job_id`` (saved by this process) when it completes or fails.

        Whichever worker (or process) runs it. A job whose outcome was read before
        this call gets its line at once. No Redis round trip: call :meth:`listen`
        (or :meth:`prepare`) before saving jobs.
        """
        with self._lines_lock:
            line = self._early.pop(job_id, None)
            if line is None:
                self._followed.add(job_id)
                return
        self.report(line)

    def process(self) -> bool:
        """Start the worker unless it runs already; True if this call started it."""
        with self._lock:
            if self.processing:
                return False
            self.worker = Worker(
                self.queue, self.handler, concurrency=self.concurrency, shutdown_timeout=self.shutdown_timeout
            )
            self._thread = threading.Thread(target=self._work, args=(self.worker,), name="seat-worker", daemon=True)
            self._thread.start()
            return True

    def _work(self, worker: Worker) -> None:
        try:
            worker.run(handle_signals=False)
        except Exception:  # the thread must not die silently
            log.exception("the seat reservation worker stopped")

    def close(self, timeout: float | None = None) -> None:
        """Stop the worker gracefully (running jobs finish, or go back to ``inactive`` after
        ``timeout`` seconds, default ``shutdown_timeout``) and the event listener."""
        with self._lock:
            thread, worker = self._thread, self.worker
            if worker is not None and thread is not None:
                wait = self.shutdown_timeout if timeout is None else timeout
                worker.stop(wait)
                thread.join(wait + 5.0)
            self._thread = None
        self.queue.close()
        with self._lock:
            self._listening = False
