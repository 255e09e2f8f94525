"""The thread worker: claims jobs, runs the handler on a pool of threads, reports outcomes in batches.

The loop itself is :meth:`~queuesim.queue.dispatch.Dispatcher.steps`, a
conversation the queue's driver runs in the calling thread; this module only
answers its effects with threads. Each round trip reports every run that ended
since the last one *and* claims as many jobs as there are free threads, so a
busy worker makes well under one round trip per job. Idle, a helper thread
blocks on the queue's wake list, so a new job starts within about a millisecond.

Every claimed job carries a lease that the worker renews; if the worker dies,
the lease runs out and any worker returns the job to ``inactive`` (or fails
it after too many stalls). Delivery is therefore *at least once*.

A handler that outlives its job's TTL keeps its thread, which cannot be
stopped from outside; the worker gives up on that thread (its result will be
ignored, the thread ends when the handler returns) and starts another in its
place, so the worker keeps its concurrency. With ``isolation="process"`` the
job runs in a child process instead, which is killed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue as stdqueue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Unpack

from queuesim.drivers import Effect
from queuesim.queue import conversations as conv
from queuesim.queue.conversations import Outcome
from queuesim.queue.dispatch import (
    RETRYABLE,
    Abandon,
    Run,
    Start,
    Wait,
    WorkerOptions,
    WorkerShell,
    WorkerStats,
    error_message,
    fail_outcome,
    log_end,
    log_start,
    result_outcome,
)
from queuesim.queue.isolation import HorseSpec, WorkHorse, horse_spec
from queuesim.queue.job import Job
from queuesim.queue.queue import Queue
from queuesim.queue.record import job_from_claim
from queuesim.queue.signals import catch_stop_signals

__all__ = ["Handler", "Worker"]

log = logging.getLogger("queuesim.worker")

#: A job handler: takes the job, returns a JSON result (or an awaitable of one), raises to fail.
Handler = Callable[[Job], Any]


class Worker(WorkerShell):
    """Runs a queue's jobs with ``handler`` on ``concurrency`` threads.

    Args:
        queue: the queue to work on.
        handler: ``handler(job) -> result``; the result must be JSON data; raising fails
            the run (it is retried while attempts remain). ``async def`` handlers run on
            an event loop in the handler thread.
        **settings: ``concurrency``, ``lease_ms``, ``stall_interval_ms``, ``max_stalls``,
            ``poll_interval``, ``shutdown_timeout``, ``heartbeat_ms``, ``name``, ``isolation``,
            ``register`` (see :class:`~queuesim.queue.dispatch.WorkerShell`).
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
        self._lock = threading.Lock()
        #: the run each handler thread is on, and the child process of each isolated run
        self._on: dict[Run, threading.Thread] = {}
        self._horses: dict[Run, WorkHorse] = {}
        self._left: set[threading.Thread] = set()  # threads given up on (their handler outlived its TTL)
        self._spec: HorseSpec | None = horse_spec(queue, handler) if self.isolation == "process" else None
        self._serial = 0

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
        core = self._fresh_core()
        self._closing.clear()
        self._tasks = stdqueue.SimpleQueue()  # each run's threads read their own (no stale stop marks)
        self._left = set()
        restore = self._install_signals(handle_signals)
        for _ in range(self.settings.concurrency):
            self._add_thread()
        if not burst:
            threading.Thread(target=self._listen_wake, name=f"{self.id}-wake", daemon=True).start()
        try:
            self.queue.driver.run(core.steps(burst), self._effect)
        finally:
            self._closing.set()
            self._want_work.set()
            for _ in range(self.settings.concurrency):  # one per thread still serving
                self._tasks.put(None)
            for horse in list(self._horses.values()):  # given back already: nothing of theirs counts now
                horse.kill()
            restore()
            self._next_core()
            self._running = False
            self._log_stop()
        return core.stats

    def _effect(self, effect: Effect) -> None:
        if type(effect) is Start:
            self._tasks.put(effect.run)
        elif type(effect) is Wait:
            if self._core.free_slots() > 0:
                self._want_work.set()
            else:
                self._want_work.clear()
            self._sleep(effect.seconds)
        elif type(effect) is Abandon:
            self._abandon(effect.run, effect.reason)

    def _sleep(self, seconds: float) -> None:
        """Wait up to ``seconds`` for a wake-up, then forget the wake-ups that came meanwhile."""
        wake = self._wake
        try:
            wake.get(timeout=max(0.0, seconds))
            while True:
                wake.get_nowait()
        except stdqueue.Empty:
            pass

    def _abandon(self, run: Run, reason: str) -> None:
        """The run's outcome is decided: kill its child process, or leave its thread and start another."""
        with self._lock:
            horse = self._horses.get(run)
            thread = self._on.get(run)
            if horse is None and thread is not None and reason == "ttl":
                self._left.add(thread)  # it ends after its handler returns; a new thread takes its place
                replace = True
            else:
                replace = False
        if horse is not None:
            horse.kill()
        if replace:
            log.warning("worker %s: the handler of job %s still runs past its TTL; a new thread takes its slot",
                        self.id, run.claimed.id)
            self._add_thread()

    # ------------------------------------------------------------------ handler threads
    def _add_thread(self) -> None:
        self._serial += 1
        threading.Thread(target=self._serve, name=f"{self.id}-{self._serial}", daemon=True).start()

    def _serve(self) -> None:
        loop: asyncio.AbstractEventLoop | None = None
        core = self._core
        tasks = self._tasks
        me = threading.current_thread()
        queue_name = self.queue.name
        try:
            while True:
                run = tasks.get()
                if run is None:
                    return
                with self._lock:
                    self._on[run] = me
                log_start(queue_name, run.claimed)
                started = time.perf_counter()
                if self._spec is not None:
                    outcome = self._run_isolated(run, self._spec)
                else:
                    try:
                        job = job_from_claim(self.queue, run.claimed, Job)
                        result = self.handler(job)
                        if inspect.isawaitable(result):
                            loop = loop or asyncio.new_event_loop()
                            result = loop.run_until_complete(_awaited(result))
                        outcome = result_outcome(run.claimed, result)
                    except BaseException as exc:  # a handler must never take the worker down
                        outcome = fail_outcome(run.claimed, error_message(exc), traceback.format_exc(),
                                               self.queue.backoff_strategies)
                if not run.abandoned:
                    log_end(queue_name, run.claimed, outcome, time.perf_counter() - started)
                core.finished(run, outcome)
                self._wake.put(None)
                with self._lock:
                    self._on.pop(run, None)
                    if me in self._left:  # another thread took this one's slot while it was busy
                        self._left.discard(me)
                        return
        finally:
            if loop is not None:
                loop.close()

    def _run_isolated(self, run: Run, spec: HorseSpec) -> Outcome:
        horse = WorkHorse(spec, run.claimed)
        with self._lock:
            self._horses[run] = horse
        try:
            kind, payload, stacktrace = horse.outcome()
        finally:
            with self._lock:
                self._horses.pop(run, None)
        if kind == "complete":
            return Outcome(run.claimed.id, run.claimed.token, "complete", payload)
        return fail_outcome(run.claimed, payload, stacktrace, self.queue.backoff_strategies)

    def _listen_wake(self) -> None:
        keys = self.queue.keys
        driver = self.queue.driver
        timeout = min(self.settings.poll_interval, 0.5)  # bounds how long this thread outlives run()
        while not self._closing.is_set():
            if not self._want_work.wait(self.settings.poll_interval) or self._closing.is_set():
                continue
            try:
                got = driver.run(conv.wait_for_work(keys, timeout))
            except RETRYABLE:  # the loop reports the outage; this thread only waits and tries again
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
