"""The thread worker: claims jobs, runs the handler on a pool of threads, reports outcomes in batches.

The loop itself lives in :mod:`queuesim.queue.dispatch` (no I/O); this module
carries its actions out with threads. Each round trip reports every run that
ended since the last one *and* claims as many jobs as there are free threads,
so a busy worker makes well under one round trip per job. Idle, a helper
thread blocks on the queue's wake list, so a new job starts within about a
millisecond.

Every claimed job carries a lease that the worker renews; if the worker dies,
the lease runs out and any worker returns the job to ``inactive`` (or fails
it after too many stalls). Delivery is therefore *at least once*.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import queue as stdqueue
import threading
import traceback
from collections.abc import Callable
from typing import Any, Unpack

import redis

from queuesim.queue.conversations import ClaimedJob
from queuesim.queue.dispatch import (
    Call,
    Dispatcher,
    Run,
    Start,
    WorkerOptions,
    WorkerShell,
    WorkerStats,
    error_message,
    fail_outcome,
    result_outcome,
)
from queuesim.queue.job import Job, JobState
from queuesim.queue.options import JobOptions
from queuesim.queue.queue import Queue
from queuesim.queue.signals import catch_stop_signals

__all__ = ["Handler", "Worker", "job_from_claim"]

log = logging.getLogger("queuesim.worker")

#: A job handler: takes the job, returns a JSON result (or an awaitable of one), raises to fail.
Handler = Callable[[Job], Any]


@functools.lru_cache(maxsize=256)
def _claim_options(priority: int, max_attempts: int, backoff: str, ttl: int) -> JobOptions:
    """A claimed job's options (immutable, so jobs with the same options share one object)."""
    return JobOptions(priority=priority, attempts=max_attempts, backoff=json.loads(backoff) if backoff else None,
                      ttl=ttl)


def job_from_claim(queue: Any, claimed: ClaimedJob, job_class: type[Job] = Job) -> Job:
    """The :class:`Job` a handler receives for a claimed job."""
    options = _claim_options(claimed.priority, claimed.max_attempts, claimed.backoff, claimed.ttl)
    job = job_class(queue, json.loads(claimed.data), options)
    job.id = claimed.id
    job.state = JobState.ACTIVE
    job.attempts = claimed.attempts
    job.created_at = claimed.created_at
    job._token = claimed.token
    return job


class Worker(WorkerShell):
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

    def __init__(self, queue: Queue, handler: Handler, **settings: Unpack[WorkerOptions]) -> None:
        super().__init__(queue, handler, **settings)
        # Wakes the loop. A SimpleQueue, not an Event: its put() takes no Python lock, so the
        # signal handler may call it from the main thread while the loop there holds the
        # lock an Event would need (which deadlocked a SIGTERM now and then).
        self._wake: stdqueue.SimpleQueue[None] = stdqueue.SimpleQueue()
        self._want_work = threading.Event()
        self._closing = threading.Event()
        self._tasks: stdqueue.SimpleQueue[Run | None] = stdqueue.SimpleQueue()
        self._running = False

    def _notify(self) -> None:
        self._wake.put(None)

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
        self.stop_signal = None
        paused = self._core.paused
        self._core = self._new_core()
        self._core.paused = paused
        self._closing.clear()
        restore = self._install_signals(handle_signals)
        threads = [threading.Thread(target=self._serve, name=f"{self.id}-{i}", daemon=True)
                   for i in range(self.settings.concurrency)]
        if not burst:
            threads.append(threading.Thread(target=self._listen_wake, name=f"{self.id}-wake", daemon=True))
        for t in threads:
            t.start()
        try:
            self._drive(self._core, burst)
        finally:
            self._closing.set()
            self._want_work.set()
            for _ in range(self.settings.concurrency):
                self._tasks.put(None)
            restore()
            self._running = False
            self._log_stop()
        return self._core.stats

    def _drive(self, core: Dispatcher, burst: bool) -> None:
        driver = self.queue.driver
        steps = core.steps(burst)
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                action = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration:
                return
            reply, error = None, None
            if isinstance(action, Call):
                try:
                    reply = driver.run(action.conversation)
                except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                    error = exc
            elif isinstance(action, Start):
                self._tasks.put(action.run)
            else:
                if core.free_slots() > 0:
                    self._want_work.set()
                else:
                    self._want_work.clear()
                self._sleep(action.seconds)

    def _sleep(self, seconds: float) -> None:
        """Wait up to ``seconds`` for a wake-up, then forget the wake-ups that came meanwhile."""
        wake = self._wake
        try:
            wake.get(timeout=max(0.0, seconds))
            while True:
                wake.get_nowait()
        except stdqueue.Empty:
            pass

    # ------------------------------------------------------------------ handler threads
    def _serve(self) -> None:
        loop: asyncio.AbstractEventLoop | None = None
        core = self._core
        try:
            while True:
                run = self._tasks.get()
                if run is None:
                    return
                try:
                    job = job_from_claim(self.queue, run.claimed)
                    result = self.handler(job)
                    if inspect.isawaitable(result):
                        loop = loop or asyncio.new_event_loop()
                        result = loop.run_until_complete(_awaited(result))
                    outcome = result_outcome(run.claimed, result)
                except BaseException as exc:  # a handler must never take the worker down
                    outcome = fail_outcome(run.claimed, error_message(exc), traceback.format_exc(),
                                           self.queue.backoff_strategies)
                core.finished(run, outcome)
                self._wake.put(None)
        finally:
            if loop is not None:
                loop.close()

    def _listen_wake(self) -> None:
        client = self.queue.client
        key = self.queue.keys.wake
        timeout = min(self.settings.poll_interval, 0.5)  # bounds how long this thread outlives run()
        while not self._closing.is_set():
            if not self._want_work.wait(self.settings.poll_interval) or self._closing.is_set():
                continue
            try:
                got = client.blpop([key], timeout=timeout)
            except (redis.ConnectionError, redis.TimeoutError):
                self._closing.wait(self.settings.poll_interval)
                continue
            if got:
                self._core.work_arrived()
                self._wake.put(None)

    # ------------------------------------------------------------------ signals
    def _install_signals(self, handle: bool | None) -> Callable[[], None]:
        if handle is None:
            handle = threading.current_thread() is threading.main_thread()
        return catch_stop_signals(self._on_stop_signal) if handle else _nothing


async def _awaited(value: Any) -> Any:
    return await value


def _nothing() -> None:
    pass
