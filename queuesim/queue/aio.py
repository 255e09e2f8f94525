"""The asyncio twins: :class:`AsyncQueue` and :class:`AsyncWorker`, over the same conversations.

They run exactly the conversations and the dispatcher loop of the threaded
classes, through :class:`~queuesim.drivers.AsyncDriver`; only the waiting and
the handler execution are asyncio's (tasks instead of threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Unpack

import redis

from queuesim.drivers import AsyncDriver
from queuesim.errors import InvalidTransition, JobNotFound
from queuesim.queue import conversations as conv
from queuesim.queue.dispatch import (
    Call,
    Run,
    Start,
    WorkerOptions,
    WorkerShell,
    WorkerStats,
    error_message,
    fail_outcome,
    result_outcome,
)
from queuesim.queue.job import Job, JobState, percent
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import BackoffFunction, JobOptions, encode_json, normalize_priority
from queuesim.queue.queue import BULK_CHUNK, _job_id, _removed, parse_state, wall_clock_ms
from queuesim.queue.signals import handle_stop_signals
from queuesim.queue.testmode import TestMode
from queuesim.queue.worker import job_from_claim

__all__ = ["AsyncJob", "AsyncQueue", "AsyncWorker"]


class AsyncJob(Job):
    """A job of an :class:`AsyncQueue`: the same fields, with awaitable actions."""

    __slots__ = ()
    queue: AsyncQueue  # type: ignore[assignment]

    async def save(self) -> AsyncJob:  # type: ignore[override]
        """Store the job (in test mode: record it on the queue); returns the job."""
        await self.queue._store([self])
        return self

    async def refresh(self) -> AsyncJob:  # type: ignore[override]
        """Reload the job from the store; raises JobNotFound if it is gone."""
        record = await self.queue.driver.run(conv.get_record(self.queue.keys, self._saved_id()))
        if record is None:
            raise JobNotFound(f"job {self.id} of queue {self.queue.name!r} does not exist")
        self._load(record)
        return self

    async def remove(self, *, force: bool = False) -> None:  # type: ignore[override]
        """Delete the job and everything about it (a running one only with ``force``)."""
        await self.queue.remove(self._saved_id(), force=force)

    async def progress(self, done: float, total: float, data: Any = None) -> int:  # type: ignore[override]
        """Report progress (integer percent) and emit ``progress``."""
        pct = percent(done, total)
        payload = encode_json(data, "progress data")
        self.percent, self.progress_data = pct, data
        if not (self.queue.test_mode.active and not self.queue.test_mode.process):
            await self.queue.driver.run(conv.progress(
                self.queue.keys, self.queue.events_maxlen, self._saved_id(), pct, payload, self.queue.now()))
        return pct

    async def log(self, message: str, *args: Any) -> None:  # type: ignore[override]
        """Append a line to the job's log."""
        line = message % args if args else str(message)
        if not (self.queue.test_mode.active and not self.queue.test_mode.process):
            await self.queue.driver.run(conv.log(self.queue.keys, self._saved_id(), line))

    async def logs(self) -> list[str]:  # type: ignore[override]
        """The job's log lines."""
        return await self.queue.driver.run(conv.logs(self.queue.keys, self._saved_id()))


class AsyncQueue:
    """A job queue on ``redis.asyncio`` (the twin of :class:`~queuesim.Queue`).

    ``redis`` is an asyncio client; without one, the queue makes one with
    :func:`queuesim.connect_async` (``REDIS_URL``, else the embedded store).
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
        from queuesim.queue.queue import _check_name

        self.name = _check_name(name)
        self.keys = QueueKeys(self.name, _check_name(prefix))
        if redis is None:  # as Queue does: REDIS_URL, else the embedded store
            from queuesim.connection import connect_async

            redis = connect_async()
        self.driver = AsyncDriver(redis)
        self.now = clock
        self.events_maxlen = int(events_maxlen)
        self.backoff_strategies: dict[str, BackoffFunction] = dict(backoff_strategies or {})
        self.test_mode = TestMode()
        self._registered = False

    def __repr__(self) -> str:
        return f"<AsyncQueue {self.name}>"

    @property
    def client(self) -> Any:
        """The asyncio Redis client this queue uses."""
        return self.driver.client

    def create(self, data: Any = None, **options: Any) -> AsyncJob:
        """A new job (``await job.save()`` stores it); the same options as :meth:`Queue.create`."""
        encode_json(data, "job data")
        backoff = options.get("backoff")
        if callable(backoff) and not isinstance(backoff, bool):
            name = f"{getattr(backoff, '__module__', '?')}.{getattr(backoff, '__qualname__', repr(backoff))}"
            self.backoff_strategies.setdefault(name, backoff)
        return AsyncJob(self, data, JobOptions.build(now_ms=self.now(), **options))  # type: ignore[arg-type]

    async def add(self, data: Any = None, **options: Any) -> AsyncJob:
        """Create and save a job."""
        return await self.create(data, **options).save()

    async def create_bulk(self, items: Iterable[Any], **options: Any) -> list[AsyncJob]:
        """Create and save many jobs, one script call per chunk of 1000."""
        jobs = [self.create(item, **options) for item in items]
        for start in range(0, len(jobs), BULK_CHUNK):
            await self._store(jobs[start:start + BULK_CHUNK])
        return jobs

    async def _store(self, jobs: list[AsyncJob]) -> None:
        if self.test_mode.active and not self.test_mode.process:
            for job in jobs:
                self.test_mode.record(job)
            return
        if any(j.id is not None for j in jobs):
            raise InvalidTransition("a job is already saved")
        if not self._registered:  # as Queue does: its name is listed among the queues (Kue's types)
            self._registered = True
            with contextlib.suppress(redis.ResponseError):  # e.g. a cluster refusing the unrelated slot
                await self.client.sadd(self.keys.registry, self.name)
        now = self.now()
        payload = [(encode_json(j.data, "job data"), j.options.fields()) for j in jobs]
        ids, first_event = await self.driver.run(conv.enqueue(self.keys, self.events_maxlen, now, payload))
        for job, job_id in zip(jobs, ids, strict=True):
            job.id, job.event_id = job_id, first_event
            job.state = JobState.DELAYED if job.options.delay > 0 else JobState.INACTIVE
            job.created_at = job.updated_at = now
            if self.test_mode.active:
                self.test_mode.record(job)

    async def get_job(self, job_id: str | int) -> AsyncJob:
        """The job with this id; raises JobNotFound."""
        job_id = _job_id(job_id)
        record = await self.driver.run(conv.get_record(self.keys, job_id))
        if record is None:
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        job = AsyncJob(self, None)  # type: ignore[arg-type]
        job._load(record)
        return job

    async def jobs(self, state: JobState | str, start: int = 0, stop: int = -1, order: str = "asc") -> list[AsyncJob]:
        """Jobs in ``state`` by rank (see :meth:`Queue.jobs`)."""
        ids = await self.driver.run(conv.range_ids(self.keys, parse_state(state).value, start, stop, order))
        out = []
        for record in await self.driver.run(conv.get_records(self.keys, ids)):
            job = AsyncJob(self, None)  # type: ignore[arg-type]
            job._load(record)
            out.append(job)
        return out

    async def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        return await self.driver.run(conv.counts(self.keys))

    async def remove(self, job_id: str | int, *, force: bool = False) -> None:
        """Delete a job (see :meth:`queuesim.Queue.remove`); raises JobNotFound or InvalidTransition."""
        job_id = _job_id(job_id)
        _removed(await self.driver.run(conv.remove(self.keys, self.events_maxlen, job_id, force)), job_id, self.name)

    async def move(self, job_id: str | int, state: JobState | str, *, priority: int | str | None = None) -> JobState:
        """Move a job that is not running to another state (see :meth:`Queue.move`)."""
        target = parse_state(state)
        if target is JobState.ACTIVE:
            raise InvalidTransition("only a worker can make a job active")
        job_id = _job_id(job_id)
        value = None if priority is None else normalize_priority(priority)
        result = await self.driver.run(
            conv.move(self.keys, self.events_maxlen, job_id, target.value, self.now(), value))
        if result == "missing":
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        if result == "active":
            raise InvalidTransition(f"job {job_id} is running; it cannot be moved until it finishes")
        return JobState(result)

    async def pause(self) -> None:
        """Pause the queue for every worker."""
        await self.driver.run(conv.set_paused(self.keys, True))

    async def resume(self) -> None:
        """Resume a paused queue."""
        await self.driver.run(conv.set_paused(self.keys, False))


AsyncHandler = Callable[[AsyncJob], Any]


class AsyncWorker(WorkerShell):
    """Runs a queue's jobs with ``handler`` as asyncio tasks (``concurrency`` at once).

    ``handler`` may be ``async def`` (awaited) or a plain function (run in a
    thread with ``asyncio.to_thread``; it cannot await ``job.progress``, so report
    progress from async handlers). The other arguments are those of
    :class:`~queuesim.Worker`. A job whose TTL passes has its task cancelled.
    """

    def __init__(self, queue: AsyncQueue, handler: AsyncHandler, **settings: Unpack[WorkerOptions]) -> None:
        super().__init__(queue, handler, **settings)
        self._wake: asyncio.Event | None = None
        self._tasks: dict[Run, asyncio.Task[None]] = {}

    def _notify(self) -> None:
        # call from the worker's event loop (asyncio events are not thread-safe)
        if self._wake is not None:
            self._wake.set()

    async def run(self, burst: bool = False, handle_signals: bool | None = None) -> WorkerStats:
        """Work until :meth:`stop` (or SIGINT/SIGTERM), or with ``burst=True`` until nothing is left.

        ``handle_signals`` (default: when the event loop runs in the main thread)
        adds SIGINT/SIGTERM handlers to the loop for a graceful stop, as
        :meth:`queuesim.Worker.run` does; a second signal stops at once. Workers on
        one loop share them; a signal somebody else handles (a web server such as
        uvicorn) is left to them (see :mod:`queuesim.queue.signals`).
        """
        self.stop_signal = None
        self._core = core = self._new_core()
        self._wake = asyncio.Event()
        restore = _nothing if handle_signals is False else handle_stop_signals(self._on_stop_signal)
        listener = None if burst else asyncio.create_task(self._listen_wake())
        steps = core.steps(burst)
        reply: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    action = steps.throw(error) if error is not None else steps.send(reply)
                except StopIteration:
                    break
                reply, error = None, None
                if isinstance(action, Call):
                    try:
                        reply = await self.queue.driver.run(action.conversation)
                    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                        error = exc
                elif isinstance(action, Start):
                    self._tasks[action.run] = asyncio.create_task(self._execute(action.run))
                else:
                    self._cancel_abandoned()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), action.seconds)
                    self._wake.clear()
        finally:
            restore()
            self._log_stop()
            if listener is not None:
                listener.cancel()
            for task in self._tasks.values():
                task.cancel()
        return core.stats


    def _cancel_abandoned(self) -> None:
        for run, task in list(self._tasks.items()):
            if run.abandoned and not task.done():
                task.cancel()

    async def _execute(self, run: Run) -> None:
        try:
            job = job_from_claim(self.queue, run.claimed, AsyncJob)
            if inspect.iscoroutinefunction(self.handler):
                result = await self.handler(job)
            else:  # a plain function must not block the loop: it runs in a thread
                result = await asyncio.to_thread(self.handler, job)
                if inspect.isawaitable(result):
                    result = await result
            outcome = result_outcome(run.claimed, result)
        except asyncio.CancelledError:
            outcome = fail_outcome(run.claimed, "cancelled", "", self.queue.backoff_strategies)
        except Exception as exc:
            outcome = fail_outcome(run.claimed, error_message(exc), traceback.format_exc(),
                                   self.queue.backoff_strategies)
        self._tasks.pop(run, None)
        self._core.finished(run, outcome)
        if self._wake is not None:
            self._wake.set()

    async def _listen_wake(self) -> None:
        while True:
            if self._core.free_slots() <= 0:
                await asyncio.sleep(self.settings.poll_interval / 10)
                continue
            try:
                wait = min(self.settings.poll_interval, 0.5)
                got = await self.queue.client.blpop([self.queue.keys.wake], timeout=wait)
            except (redis.ConnectionError, redis.TimeoutError):
                await asyncio.sleep(self.settings.poll_interval)
                continue
            if got:
                self._core.work_arrived()
                if self._wake is not None:
                    self._wake.set()


def _nothing() -> None:
    pass
