"""The worker: claims jobs, runs the handler on a pool of threads, reports outcomes in batches.

One dispatcher loop talks to Redis; ``concurrency`` handler threads run jobs.
Each round trip reports every run that ended since the last one *and* claims
as many jobs as there are free threads (``fetch_and_finish``), so a busy
worker makes well under one round trip per job. Idle, it blocks on the
queue's wake list and starts a new job within about a millisecond.

Every claimed job carries a lease that the worker renews; if the worker dies,
the lease runs out and any worker returns the job to ``inactive`` (or fails
it after too many stalls). Delivery is therefore *at least once*.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import queue as stdqueue
import signal
import socket
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import redis

from queuesim.queue import conversations as conv
from queuesim.queue.conversations import ClaimedJob, Outcome
from queuesim.queue.job import Job, JobState
from queuesim.queue.options import JobOptions, backoff_delay, encode_json
from queuesim.queue.queue import Queue

__all__ = ["Handler", "Worker", "WorkerStats", "job_from_claim", "outcome_of_error"]

log = logging.getLogger("queuesim.worker")

#: A job handler: takes the job, returns a JSON result (or an awaitable of one), raises to fail.
Handler = Callable[[Job], Any]


@dataclass
class WorkerStats:
    """What a worker has done since it started."""

    #: jobs claimed
    claimed: int = 0
    #: runs that completed
    completed: int = 0
    #: runs that failed (retried or not)
    failed: int = 0
    #: runs given back to ``inactive`` at shutdown
    requeued: int = 0
    #: outcomes refused because the lease had been lost (the job was recovered elsewhere)
    lost: int = 0
    #: Redis round trips made by the dispatcher
    round_trips: int = 0


@dataclass(eq=False)
class _Run:
    claimed: ClaimedJob
    job: Job
    ttl_deadline: float | None
    #: the outcome was already decided (TTL, shutdown): ignore what the handler returns
    abandoned: bool = False
    started: float = field(default_factory=time.monotonic)


def job_from_claim(queue: Queue, claimed: ClaimedJob) -> Job:
    """The :class:`Job` a handler receives for a claimed job."""
    options = JobOptions(
        priority=claimed.priority,
        attempts=claimed.max_attempts,
        backoff=json.loads(claimed.backoff) if claimed.backoff else None,
        ttl=claimed.ttl,
    )
    job = Job(queue, json.loads(claimed.data), options)
    job.id = claimed.id
    job.state = JobState.ACTIVE
    job.attempts = claimed.attempts
    job.created_at = claimed.created_at
    job._token = claimed.token
    return job


def outcome_of_error(queue: Queue, claimed: ClaimedJob, message: str, stacktrace: str) -> Outcome:
    """A ``fail`` outcome, with the retry delay the job's backoff asks for."""
    delay = 0
    if claimed.attempts < claimed.max_attempts and claimed.backoff:
        try:
            delay = backoff_delay(json.loads(claimed.backoff), claimed.attempts, message,
                                  queue.backoff_strategies)
        except Exception as exc:  # a broken backoff must not lose the job: retry at once
            log.error("backoff of job %s failed (%s); retrying without delay", claimed.id, exc)
    return Outcome(claimed.id, claimed.token, "fail", message, stacktrace, delay)


def _error_message(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, Exception):
        return text or type(exc).__name__
    # SystemExit, KeyboardInterrupt...: say what it was, the handler did not just "fail"
    return f"handler raised {type(exc).__name__}" + (f": {text}" if text else "")


class Worker:
    """Runs a queue's jobs with ``handler`` on ``concurrency`` threads.

    Args:
        queue: the queue to work on.
        handler: ``handler(job) -> result``; the result must be JSON data; raising fails
            the run (it is retried while attempts remain). ``async def`` handlers run on
            an event loop in the handler thread.
        concurrency: how many jobs run at once.
        lease_ms: how long a claimed job stays ours without renewal; renewed every third of it.
        stall_interval_ms: how often (shared by all workers) expired leases are looked for.
        max_stalls: how many lost leases a job survives before it is failed.
        poll_interval: seconds between checks when idle (an idle worker wakes at once on new work).
        shutdown_timeout: seconds :meth:`stop` waits for running jobs before requeueing them.
        name: the worker's id in lease tokens; default host:pid:random.
    """

    def __init__(
        self,
        queue: Queue,
        handler: Handler,
        *,
        concurrency: int = 1,
        lease_ms: int = 30_000,
        stall_interval_ms: int = 5_000,
        max_stalls: int = 3,
        poll_interval: float = 1.0,
        shutdown_timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        for label, value, low in (("concurrency", concurrency, 1), ("lease_ms", lease_ms, 100),
                                  ("stall_interval_ms", stall_interval_ms, 1), ("max_stalls", max_stalls, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
        if poll_interval <= 0 or shutdown_timeout < 0:
            raise ValueError("poll_interval must be > 0 and shutdown_timeout >= 0")
        self.queue = queue
        self.handler = handler
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.stall_interval_ms = stall_interval_ms
        self.max_stalls = max_stalls
        self.poll_interval = poll_interval
        self.shutdown_timeout = shutdown_timeout
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        self._runs: dict[str, _Run] = {}
        self._done: deque[tuple[_Run, Outcome]] = deque()
        self._wake = threading.Event()
        self._want_work = threading.Event()
        self._marker = False
        self._paused = False
        self._stop_at: float | None = None
        self._closing = threading.Event()
        self._tasks: stdqueue.SimpleQueue[_Run | None] = stdqueue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._running = False

    def __repr__(self) -> str:
        return f"<Worker {self.id} on {self.queue.name} x{self.concurrency}>"

    # ------------------------------------------------------------------ control
    def stop(self, timeout: float | None = None) -> None:
        """Stop gracefully: claim nothing more, let running jobs finish for up to ``timeout`` s
        (default ``shutdown_timeout``), then give the rest back to ``inactive``. Thread-safe."""
        wait = self.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        self._stop_at = deadline if self._stop_at is None else min(self._stop_at, deadline)
        self._wake.set()

    def pause(self) -> None:
        """Stop claiming new jobs (running ones go on); :meth:`resume` undoes it."""
        self._paused = True
        self._wake.set()

    def resume(self) -> None:
        """Claim jobs again after :meth:`pause`."""
        self._paused = False
        self._marker = True
        self._wake.set()

    @property
    def running(self) -> int:
        """How many jobs are running now."""
        return len(self._runs)

    # ------------------------------------------------------------------ the loop
    def run(self, burst: bool = False, handle_signals: bool | None = None) -> WorkerStats:
        """Work until :meth:`stop` (or SIGINT/SIGTERM); with ``burst=True``, until nothing is left.

        Burst mode ends when no job is waiting, delayed or running here; it waits
        for delayed jobs (retries with backoff included) to come due.
        ``handle_signals`` (default: when called from the main thread) installs
        SIGINT/SIGTERM handlers for a graceful stop; a second signal stops at once.
        """
        if self._running:
            raise RuntimeError("this worker is already running")
        self._running = True
        self._stop_at = None
        self._closing.clear()
        restore = self._install_signals(handle_signals)
        self._start_threads()
        listener = None
        if not burst:
            listener = threading.Thread(target=self._listen_wake, name=f"{self.id}-wake", daemon=True)
            listener.start()
        try:
            self._loop(burst)
        finally:
            self._closing.set()
            self._want_work.set()
            for _ in self._threads:
                self._tasks.put(None)
            self._threads.clear()
            if listener is not None:
                listener.join(self.poll_interval + 1)
            restore()
            self._running = False
        return self.stats

    def _loop(self, burst: bool) -> None:
        queue = self.queue
        maybe_more = True
        next_due: int | None = None
        last_renew = time.monotonic()
        renew_every = self.lease_ms / 3000
        while True:
            outcomes = self._drain()
            self._expire_ttl(outcomes)
            stopping = self._stop_at is not None
            if stopping and self._stop_at is not None and time.monotonic() >= self._stop_at:
                self._give_back(outcomes)
            if self._marker:
                self._marker = False
                maybe_more = True
            free = 0 if (stopping or self._paused) else self.concurrency - len(self._runs)
            if burst and not self._runs:
                maybe_more = True  # look again: burst mode ends only on an empty answer
            now = queue.now()
            due = next_due is not None and now >= next_due
            if outcomes or (free > 0 and (maybe_more or due)):
                fetched = self._tick(outcomes, free, now)
                if fetched is None:  # Redis unreachable: outcomes are kept for the next try
                    maybe_more = True
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
                    continue
                next_due = fetched.next_due
                maybe_more = free > 0 and len(fetched.jobs) == free
                if burst and not fetched.jobs and not self._runs and not self._done \
                        and fetched.inactive == 0 and fetched.delayed == 0:
                    return
            if self._runs and time.monotonic() - last_renew >= renew_every:
                self._renew()
                last_renew = time.monotonic()
            if stopping and not self._runs and not self._done:
                return
            free = 0 if (stopping or self._paused) else self.concurrency - len(self._runs)
            if free > 0:
                self._want_work.set()
                if maybe_more:
                    continue
            else:
                self._want_work.clear()
            self._wake.wait(self._timeout(next_due, last_renew, renew_every))
            self._wake.clear()

    def _timeout(self, next_due: int | None, last_renew: float, renew_every: float) -> float:
        timeout = self.poll_interval
        if next_due is not None:
            timeout = min(timeout, max(0.0, (next_due - self.queue.now()) / 1000))
        mono = time.monotonic()
        if self._runs:
            timeout = min(timeout, max(0.0, last_renew + renew_every - mono))
            for run in self._runs.values():
                if run.ttl_deadline is not None and not run.abandoned:
                    timeout = min(timeout, max(0.0, run.ttl_deadline - mono))
        if self._stop_at is not None:
            timeout = min(timeout, max(0.0, self._stop_at - mono))
        return timeout

    def _tick(self, outcomes: list[Outcome], free: int, now: int) -> conv.FetchResult | None:
        queue = self.queue
        try:
            codes, fetched = queue.driver.run(conv.fetch_and_finish(
                queue.keys, queue.events_maxlen, now, outcomes, free, lease_ms=self.lease_ms,
                token_prefix=self.id, stall_interval_ms=self.stall_interval_ms, max_stalls=self.max_stalls,
            ))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker %s cannot reach Redis (%s); will retry", self.id, exc)
            self._pending = outcomes
            return None
        self.stats.round_trips += 1
        self._pending = []
        for outcome, applied in zip(outcomes, codes, strict=True):
            if not applied:
                self.stats.lost += 1
            elif outcome.kind == "complete":
                self.stats.completed += 1
            elif outcome.kind == "fail":
                self.stats.failed += 1
            else:
                self.stats.requeued += 1
        mono = time.monotonic()
        for claimed in fetched.jobs:
            job = job_from_claim(queue, claimed)
            ttl = mono + claimed.ttl / 1000 if claimed.ttl > 0 else None
            run = _Run(claimed, job, ttl)
            self._runs[claimed.id] = run
            self.stats.claimed += 1
            self._tasks.put(run)
        return fetched

    _pending: list[Outcome] = []  # noqa: RUF012 - replaced per instance on first tick

    def _drain(self) -> list[Outcome]:
        outcomes = list(self._pending)
        while self._done:
            run, outcome = self._done.popleft()
            if self._runs.get(run.claimed.id) is run:
                del self._runs[run.claimed.id]
            if not run.abandoned:
                outcomes.append(outcome)
        return outcomes

    def _expire_ttl(self, outcomes: list[Outcome]) -> None:
        mono = time.monotonic()
        for run in self._runs.values():
            if run.ttl_deadline is not None and not run.abandoned and mono >= run.ttl_deadline:
                run.abandoned = True
                outcomes.append(outcome_of_error(self.queue, run.claimed, "TTL exceeded", ""))

    def _give_back(self, outcomes: list[Outcome]) -> None:
        for job_id, run in list(self._runs.items()):
            if not run.abandoned:
                run.abandoned = True
                outcomes.append(Outcome(job_id, run.claimed.token, "requeue"))
            del self._runs[job_id]  # its thread may still be busy; it is no longer ours

    def _renew(self) -> None:
        leases = [(i, r.claimed.token) for i, r in self._runs.items() if not r.abandoned]
        try:
            lost = self.queue.driver.run(
                conv.renew(self.queue.keys, self.queue.now() + self.lease_ms, leases))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker %s could not renew leases (%s)", self.id, exc)
            return
        self.stats.round_trips += 1
        for job_id in lost:
            log.warning("worker %s lost the lease of job %s; its outcome will be ignored", self.id, job_id)

    # ------------------------------------------------------------------ handler threads
    def _start_threads(self) -> None:
        for i in range(self.concurrency):
            t = threading.Thread(target=self._serve, name=f"{self.id}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self) -> None:
        loop: asyncio.AbstractEventLoop | None = None
        try:
            while True:
                run = self._tasks.get()
                if run is None:
                    return
                outcome, loop = self._execute(run, loop)
                self._done.append((run, outcome))
                self._wake.set()
        finally:
            if loop is not None:
                loop.close()

    def _execute(
        self, run: _Run, loop: asyncio.AbstractEventLoop | None
    ) -> tuple[Outcome, asyncio.AbstractEventLoop | None]:
        claimed = run.claimed
        try:
            result = self.handler(run.job)
            if inspect.isawaitable(result):
                loop = loop or asyncio.new_event_loop()
                result = loop.run_until_complete(_awaited(result))
            payload = encode_json(result, f"the result of job {claimed.id}")
        except BaseException as exc:
            message = _error_message(exc)
            return outcome_of_error(self.queue, claimed, message, traceback.format_exc()), loop
        return Outcome(claimed.id, claimed.token, "complete", payload), loop

    def _listen_wake(self) -> None:
        client = self.queue.client
        key = self.queue.keys.wake
        timeout = min(self.poll_interval, 0.5)  # bounds how long run() waits for this thread at exit
        while not self._closing.is_set():
            if not self._want_work.wait(self.poll_interval):
                continue
            if self._closing.is_set():
                return
            try:
                got = client.blpop([key], timeout=timeout)
            except (redis.ConnectionError, redis.TimeoutError):
                self._closing.wait(self.poll_interval)
                continue
            if got:
                self._marker = True
                self._wake.set()

    # ------------------------------------------------------------------ signals
    def _install_signals(self, handle: bool | None) -> Callable[[], None]:
        if handle is None:
            handle = threading.current_thread() is threading.main_thread()
        if not handle:
            return lambda: None
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if self._stop_at is None:
                log.info("worker %s: %s received, finishing running jobs", self.id, signal.Signals(signum).name)
                self.stop()
            else:
                self.stop(0)

        for s in previous:
            signal.signal(s, on_signal)

        def restore() -> None:
            for s, h in previous.items():
                signal.signal(s, h)

        return restore


async def _awaited(value: Any) -> Any:
    return await value
