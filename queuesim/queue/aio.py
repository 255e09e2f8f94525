"""The asyncio shell: :class:`AsyncQueue`, :class:`AsyncJob` and :class:`AsyncWorker`.

They are the sync classes' twins, method for method (a test holds them to it):
the same core conversations (:class:`~queuesim.queue.core.QueueCore`) run
through :class:`~queuesim.drivers.AsyncDriver`, the same worker loop
(:meth:`~queuesim.queue.dispatch.Dispatcher.steps`), and the same events read
by a task of the loop instead of a thread. Every method that talks to Redis is
a coroutine; the others (``create``, ``to_dict``, a worker's ``stop``) are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar, Unpack

from queuesim.drivers import AsyncDriver, Conversation, Effect, Routine, SyncDriver
from queuesim.queue import conversations as conv
from queuesim.queue.conversations import Outcome
from queuesim.queue.core import BULK_CHUNK, QueueCore, QueueShell, wall_clock_ms
from queuesim.queue.dispatch import (
    RETRYABLE,
    Abandon,
    Dispatcher,
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
from queuesim.queue.events import AsyncEventHub, stop_task
from queuesim.queue.isolation import HorseSpec, WorkHorse, horse_spec
from queuesim.queue.job import CATCH_UP_S, FINISHED, POLL_S, BaseJob, Job, JobState
from queuesim.queue.options import BackoffFunction, normalize_priority
from queuesim.queue.outage import backoff
from queuesim.queue.queue import Queue
from queuesim.queue.record import job_from_claim
from queuesim.queue.signals import handle_stop_signals

__all__ = ["BULK_CHUNK", "AsyncJob", "AsyncQueue", "AsyncWorker"]

T = TypeVar("T")


class AsyncJob(BaseJob):
    """A job of an :class:`AsyncQueue`: the fields of :class:`~queuesim.Job`, with awaitable actions."""

    __slots__ = ()
    queue: AsyncQueue

    @classmethod
    async def get(cls, queue: AsyncQueue, job_id: str | int) -> AsyncJob:
        """The job with this id on ``queue``; raises JobNotFound."""
        return await queue.get_job(job_id)

    async def save(self) -> AsyncJob:
        """Store the job (in test mode: record it on the queue); returns the job."""
        await self.queue.driver.run(self.queue.core.save([self]))
        return self

    async def refresh(self) -> AsyncJob:
        """Reload the job from the store; raises JobNotFound if it is gone."""
        await self.queue.driver.run(self.queue.core.refresh(self))
        return self

    async def remove(self, *, force: bool = False) -> None:
        """Delete the job and everything about it (a running one only with ``force``)."""
        await self.queue.remove(self.queue.core.saved_id(self), force=force)

    async def requeue(self, *, reset_attempts: bool = True) -> JobState:
        """Put a failed (or complete, or delayed) job back to ``inactive`` (see :meth:`AsyncQueue.requeue`)."""
        return await self.queue.requeue(self.queue.core.saved_id(self), reset_attempts=reset_attempts)

    async def set_priority(self, priority: int | str) -> JobState:
        """Change the job's priority; a waiting job moves to its new place at once."""
        state = await self.queue.set_priority(self.queue.core.saved_id(self), priority)
        self.options = replace(self.options, priority=normalize_priority(priority))
        return state

    async def progress(self, done: float, total: float, data: Any = None) -> int:
        """Report progress (integer percent) and emit ``progress``; in a handler, waits out a Redis outage."""
        return await self._report(lambda: self.queue.core.progress(self, done, total, data))

    async def log(self, message: str, *args: Any) -> None:
        """Append a line to the job's log; in a handler, waits out a Redis outage."""
        await self._report(lambda: self.queue.core.log(self, message, args))

    async def _report(self, conversation: Callable[[], Conversation[T]]) -> T:
        waits = backoff()
        while True:
            try:
                return await self.queue.driver.run(conversation())
            except RETRYABLE:
                if not self.reporting:
                    raise
            await asyncio.sleep(next(waits))

    async def logs(self) -> list[str]:
        """The job's log lines."""
        return await self.queue.driver.run(self.queue.core.logs(self))

    async def on(self, event: str, callback: Callable[..., Any]) -> AsyncJob:
        """Call ``callback`` on this job's ``event`` (see :meth:`queuesim.Job.on`); it may be a coroutine
        function. Callbacks run in the queue's listener task."""
        await self.queue.events.on_job(self.id, self.event_id, event, callback)
        return self

    async def wait(self, timeout: float | None = None) -> JobState:
        """Wait until the job is complete or failed (or ``timeout`` seconds pass); returns its state
        (see :meth:`queuesim.Job.wait`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.options.events:
            return await self._poll_until_finished(deadline)
        if self.event_id is None:
            await self.refresh()
            if self.state in FINISHED:
                return self.state
        done = asyncio.Event()
        await self.on("complete", lambda *_: done.set())
        await self.on("failed", lambda *_: done.set())
        await self.refresh()
        if self.state in FINISHED:
            if self.event_id is not None:
                await _wait_event(done, CATCH_UP_S if timeout is None else min(timeout, CATCH_UP_S))
        else:
            await _wait_event(done, timeout)
            await self.refresh()
        assert self.state is not None
        return self.state

    async def wait_result(self, timeout: float | None = None) -> Any:
        """Wait for the job to finish and return its result (see :meth:`queuesim.Job.wait_result`).

        Raises:
            JobFailed: the job failed for good.
            TimeoutError: it had not finished after ``timeout`` seconds.
        """
        state = await self.wait(timeout)
        if state not in FINISHED:
            raise TimeoutError(f"job {self.id} of queue {self.queue.name!r} is still {state.value} "
                               f"after {timeout} s")
        return self._outcome()

    async def _poll_until_finished(self, deadline: float | None) -> JobState:
        while True:
            await self.refresh()
            assert self.state is not None
            left = None if deadline is None else deadline - time.monotonic()
            if self.state in FINISHED or (left is not None and left <= 0):
                return self.state
            await asyncio.sleep(POLL_S if left is None else min(POLL_S, left))


async def _wait_event(event: asyncio.Event, timeout: float | None) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)


class AsyncQueue(QueueShell[AsyncJob]):
    """A job queue on ``redis.asyncio`` (the twin of :class:`~queuesim.Queue`).

    ``redis`` is an asyncio client; without one, the queue makes one with
    :func:`queuesim.connect_async` (``REDIS_URL``, else the embedded store) and
    :meth:`close` closes it. The other arguments are :class:`~queuesim.Queue`'s.
    """

    def __init__(
        self,
        name: str = "default",
        *,
        redis: Any = None,
        prefix: str = "qs",
        clock: Callable[[], int] = wall_clock_ms,
        events_maxlen: int = 10_000,
        backoff_strategies: Mapping[str, BackoffFunction] | None = None,
    ) -> None:
        self.core = QueueCore(name, prefix=prefix, clock=clock, events_maxlen=events_maxlen,
                              backoff_strategies=backoff_strategies)
        self._owns_client = redis is None
        if redis is None:
            from queuesim.connection import connect_async

            redis = connect_async()
        self.driver = AsyncDriver(redis)
        self.events = AsyncEventHub(self)

    def __repr__(self) -> str:
        return f"<AsyncQueue {self.name}>"

    @property
    def client(self) -> Any:
        """The asyncio Redis client this queue uses."""
        return self.driver.client

    async def run(self, conversation: Conversation[T]) -> T:
        """Run any conversation on this queue's connection."""
        return await self.driver.run(conversation)

    # ------------------------------------------------------------------ creating jobs
    def create(self, data: Any = None, **options: Any) -> AsyncJob:
        """A new job (``await job.save()`` stores it); the same options as :meth:`queuesim.Queue.create`."""
        return self.core.new_job(AsyncJob, self, data, self.core.options(options))

    async def add(self, data: Any = None, **options: Any) -> AsyncJob:
        """Create and save a job."""
        return await self.create(data, **options).save()

    async def create_bulk(self, items: Iterable[Any], **options: Any) -> list[AsyncJob]:
        """Create and save many jobs, one script call per :data:`BULK_CHUNK` jobs
        (see :meth:`queuesim.Queue.create_bulk`)."""
        jobs = self.core.new_jobs(AsyncJob, self, items, options)
        await self.driver.run(self.core.save(jobs))
        return jobs

    async def check_eviction_policy(self) -> str | None:
        """The server's ``maxmemory-policy``; warns when it is not ``noeviction``."""
        return await self.driver.run(self.core.check_eviction_policy())

    # ------------------------------------------------------------------ reading jobs
    async def get_job(self, job_id: str | int) -> AsyncJob:
        """The job with this id; raises JobNotFound."""
        return await self.driver.run(self.core.get_job(AsyncJob, self, job_id))

    async def jobs(self, state: JobState | str, start: int = 0, stop: int = -1, order: str = "asc") -> list[AsyncJob]:
        """Jobs in ``state`` by rank (see :meth:`queuesim.Queue.jobs`)."""
        return await self.driver.run(self.core.jobs(AsyncJob, self, state, start, stop, order))

    async def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        return await self.driver.run(self.core.counts())

    async def stats(self) -> dict[str, int]:
        """Counts per state plus ``completed_total``, ``failed_total`` and ``work_time`` (ms)."""
        return await self.driver.run(self.core.stats())

    async def names(self) -> list[str]:
        """The names of every queue under this prefix."""
        return await self.driver.run(self.core.names())

    # ------------------------------------------------------------------ changing jobs
    async def remove(self, job_id: str | int, *, force: bool = False) -> None:
        """Delete a job (see :meth:`queuesim.Queue.remove`); raises JobNotFound or InvalidTransition."""
        await self.driver.run(self.core.remove(job_id, force))

    async def move(self, job_id: str | int, state: JobState | str, *, priority: int | str | None = None) -> JobState:
        """Move a job that is not running to another state (see :meth:`queuesim.Queue.move`)."""
        return await self.driver.run(self.core.move(job_id, state, priority))

    async def requeue(self, job_id: str | int, *, reset_attempts: bool = True) -> JobState:
        """Put a failed (or complete, or delayed) job back to ``inactive``, by default with all its
        attempts again (see :meth:`queuesim.Queue.requeue`)."""
        return await self.driver.run(self.core.move(job_id, JobState.INACTIVE, reset_attempts=reset_attempts))

    async def set_priority(self, job_id: str | int, priority: int | str) -> JobState:
        """Change a job's priority."""
        return await self.driver.run(self.core.move(job_id, None, priority))

    async def clean(self, state: JobState | str, older_than_ms: int = 0, limit: int = 1000) -> list[str]:
        """Delete complete or failed jobs that ended ``older_than_ms`` ago or earlier; returns their ids."""
        return await self.driver.run(self.core.clean(state, older_than_ms, limit))

    # ------------------------------------------------------------------ queue-wide controls
    async def pause(self) -> None:
        """Pause the queue for every worker."""
        await self.driver.run(self.core.set_paused(True))

    async def resume(self) -> None:
        """Resume a paused queue."""
        await self.driver.run(self.core.set_paused(False))

    async def is_paused(self) -> bool:
        """Whether the queue is paused."""
        return await self.driver.run(self.core.is_paused())

    async def promote(self) -> int:
        """Make due delayed jobs runnable now; returns how many wait."""
        return await self.driver.run(self.core.promote())

    async def recover_stalled(self, *, max_stalls: int = 3) -> int:
        """Recover jobs whose lease has expired, now; returns inactive count."""
        return await self.driver.run(self.core.recover_stalled(max_stalls))

    # ------------------------------------------------------------------ events
    async def on(self, event: str, callback: Callable[..., Any]) -> AsyncQueue:
        """Call ``callback(job_id, *args)`` on every ``"job <event>"`` of this queue, from any process."""
        await self.events.on_queue(event, callback)
        return self

    async def close(self) -> None:
        """Stop the event listener; close the Redis client if the queue made it."""
        await self.events.close()
        if self._owns_client:
            await self.driver.client.aclose()


class _LoopDriver(SyncDriver):
    """Runs conversations on an asyncio driver's loop from another thread, waiting for each.

    A plain (sync) handler under :class:`AsyncWorker` runs in a thread; its job's
    ``progress`` and ``log`` go through this, to the worker's own connection.
    """

    __slots__ = ("_async", "_loop")

    def __init__(self, driver: AsyncDriver, loop: asyncio.AbstractEventLoop) -> None:
        self.client = driver.client
        self._loaded = set()
        self._direct = None
        self._async = driver
        self._loop = loop

    def __repr__(self) -> str:
        return f"<_LoopDriver {self._async!r}>"

    def run(self, conversation: Routine[T], effects: Callable[[Effect], Any] | None = None) -> T:
        """Run ``conversation`` on the loop and wait for its result (never call it from the loop's thread)."""
        if effects is not None:
            raise TypeError("a loop driver runs plain conversations only")
        return asyncio.run_coroutine_threadsafe(self._async.run(conversation), self._loop).result()


def _threaded_queue(queue: AsyncQueue, loop: asyncio.AbstractEventLoop) -> Queue:
    """A sync view of ``queue`` for handler threads: its core, its connection (through the loop)."""
    view = Queue.__new__(Queue)
    view.core = queue.core
    view._owns_client = False
    view.driver = _LoopDriver(queue.driver, loop)
    from queuesim.queue.events import EventHub

    view.events = EventHub(view)
    return view


AsyncHandler = Callable[..., Any]


class AsyncWorker(WorkerShell):
    """Runs a queue's jobs with ``handler`` as asyncio tasks (``concurrency`` at once).

    ``handler`` may be ``async def`` (awaited, with an :class:`AsyncJob`) or a plain
    function (run in a thread with ``asyncio.to_thread``, with a sync :class:`~queuesim.Job`
    whose ``progress`` and ``log`` go through the worker's loop). A job whose TTL passes
    has its task cancelled (with ``isolation="process"``, its child process killed) and
    its slot runs the next job. The other arguments are :class:`~queuesim.Worker`'s.
    """

    kind = "asyncio"

    def __init__(self, queue: AsyncQueue, handler: AsyncHandler, **settings: Unpack[WorkerOptions]) -> None:
        super().__init__(queue, handler, **settings)
        self._wake: asyncio.Event | None = None
        self._tasks: dict[Run, asyncio.Task[None]] = {}
        self._horses: dict[Run, WorkHorse] = {}
        self._spec: HorseSpec | None = horse_spec(queue, handler) if self.isolation == "process" else None
        self._threaded: Queue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening = False

    def _notify(self) -> None:
        # from the loop's thread (a signal handler of the loop, or a task), or any thread (stop())
        wake = self._wake
        if wake is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(wake.set)
                return
        wake.set()

    async def run(self, burst: bool = False, handle_signals: bool | None = None) -> WorkerStats:
        """Work until :meth:`stop` (or SIGINT/SIGTERM), or with ``burst=True`` until nothing is left.

        ``handle_signals`` (default: when the event loop runs in the main thread)
        adds SIGINT/SIGTERM handlers to the loop for a graceful stop, as
        :meth:`queuesim.Worker.run` does; a second signal stops at once. Workers on
        one loop share them; a signal somebody else handles (a web server such as
        uvicorn) is left to them (see :mod:`queuesim.queue.signals`).
        """
        self.stop_signal = None
        core = self._fresh_core()
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._threaded = None
        restore = _nothing if handle_signals is False else handle_stop_signals(self._on_stop_signal)
        self._listening = not burst
        listener = None if burst else asyncio.create_task(self._listen_wake())
        try:
            await self.queue.driver.run(core.steps(burst), self._effect)
        finally:
            restore()
            self._log_stop()
            self._listening = False
            if listener is not None:
                listener.cancel()
                await stop_task(listener)
            for horse in list(self._horses.values()):
                horse.kill()
            for task in self._tasks.values():
                task.cancel()
            self._next_core()
        return core.stats

    async def _effect(self, effect: Effect) -> None:
        if type(effect) is Start:
            run = effect.run
            self._tasks[run] = asyncio.create_task(self._execute(run, self._core))
        elif type(effect) is Wait:
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), effect.seconds)
            self._wake.clear()
        elif type(effect) is Abandon:
            horse = self._horses.get(effect.run)
            if horse is not None:
                horse.kill()
            task = self._tasks.get(effect.run)
            if task is not None and not task.done():
                task.cancel()

    async def _execute(self, run: Run, core: Dispatcher) -> None:
        log_start(self.queue.name, run.claimed)
        started = time.perf_counter()
        try:
            if self._spec is not None:
                outcome = await self._run_isolated(run, self._spec)
            elif inspect.iscoroutinefunction(self.handler):
                job = job_from_claim(self.queue, run.claimed, AsyncJob)
                outcome = result_outcome(run.claimed, await self.handler(job))
            else:  # a plain function must not block the loop: it runs in a thread, with a sync job
                result = await asyncio.to_thread(self._call_sync, run)
                if inspect.isawaitable(result):
                    result = await result
                outcome = result_outcome(run.claimed, result)
        except asyncio.CancelledError:
            outcome = fail_outcome(run.claimed, "cancelled", "", self.queue.backoff_strategies)
        except Exception as exc:
            outcome = fail_outcome(run.claimed, error_message(exc), traceback.format_exc(),
                                   self.queue.backoff_strategies)
        if not run.abandoned:
            log_end(self.queue.name, run.claimed, outcome, time.perf_counter() - started)
        self._tasks.pop(run, None)
        core.finished(run, outcome)
        if self._wake is not None:
            self._wake.set()

    def _call_sync(self, run: Run) -> Any:
        """In a thread: the sync handler with a sync job on this worker's connection."""
        view = self._threaded
        if view is None:
            assert self._loop is not None
            view = self._threaded = _threaded_queue(self.queue, self._loop)
        return self.handler(job_from_claim(view, run.claimed, Job))

    async def _run_isolated(self, run: Run, spec: HorseSpec) -> Outcome:
        horse = WorkHorse(spec, run.claimed)
        self._horses[run] = horse
        try:
            kind, payload, stacktrace = await asyncio.shield(asyncio.to_thread(horse.outcome))
        except asyncio.CancelledError:
            horse.kill()
            raise
        finally:
            self._horses.pop(run, None)
        if kind == "complete":
            return Outcome(run.claimed.id, run.claimed.token, "complete", payload)
        return fail_outcome(run.claimed, payload, stacktrace, self.queue.backoff_strategies)

    async def _listen_wake(self) -> None:
        keys = self.queue.keys
        while self._listening:
            if self._core.free_slots() <= 0:
                await asyncio.sleep(self.settings.poll_interval / 10)
                continue
            try:
                got = await self.queue.driver.run(conv.wait_for_work(keys, min(self.settings.poll_interval, 0.5)))
            except RETRYABLE:  # the loop reports the outage
                await asyncio.sleep(self.settings.poll_interval)
                continue
            if got:
                self._core.work_arrived()
                if self._wake is not None:
                    self._wake.set()


def _nothing() -> None:
    pass

