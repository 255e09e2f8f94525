"""The queue: create, read, move and count jobs (the synchronous shell over the conversations)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from queuesim.drivers import SyncDriver
from queuesim.errors import InvalidJobOption, InvalidTransition, JobNotFound
from queuesim.queue import conversations as conv
from queuesim.queue.events import EventHub
from queuesim.queue.job import Job, JobState
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import (
    DEFAULT_OPTIONS,
    BackoffFunction,
    JobOptions,
    encode_json,
    normalize_priority,
)
from queuesim.queue.testmode import TestMode

__all__ = ["BULK_CHUNK", "Queue", "parse_state", "wall_clock_ms"]

log = logging.getLogger("queuesim.queue")

#: Jobs saved per script call by :meth:`Queue.create_bulk`.
BULK_CHUNK = 1000
_NAME_MAX = 200


def wall_clock_ms() -> int:
    """The wall clock in integer milliseconds (the default clock of a queue)."""
    return time.time_ns() // 1_000_000


def _check_name(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"queue name must be a string, not {type(name).__name__}")
    if not name or len(name) > _NAME_MAX or any(c in name for c in "{}\r\n"):
        raise ValueError(f"queue name {name!r} must be 1-{_NAME_MAX} characters without braces or newlines")
    if _CONTROL.search(name):  # a NUL, an escape or a DEL would reach key names, listings and pages
        raise ValueError(f"queue name {name!r} must not contain control characters "
                         "(U+0000-U+001F, U+007F-U+009F: NUL, tab, escape, DEL...)")
    return name


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Queue:
    """A named job queue on Redis (Kue's ``createQueue`` plus its job management).

    Args:
        name: the queue's name (Kue's job *type*); its keys are ``qs:{name}:*``.
        redis: a ``redis.Redis`` client (or fakeredis's); ``None`` calls :func:`queuesim.connect`.
        prefix: the first part of every key.
        clock: returns the current time in ms; a simulation passes its own.
        events_maxlen: about how many events the stream keeps.
        backoff_strategies: custom backoff functions by name (see ``backoff=`` on :meth:`create`).
    """

    def __init__(
        self,
        name: str = "default",
        *,
        redis: redis.Redis | None = None,
        prefix: str = "qs",
        clock: Callable[[], int] = wall_clock_ms,
        events_maxlen: int = 10_000,
        backoff_strategies: Mapping[str, BackoffFunction] | None = None,
    ) -> None:
        if redis is None:
            from queuesim.connection import connect

            redis = connect()
        self.name = _check_name(name)
        self.keys = QueueKeys(self.name, _check_name(prefix))
        self.driver = SyncDriver(redis)
        self.now = clock
        self.events_maxlen = int(events_maxlen)
        self.backoff_strategies: dict[str, BackoffFunction] = dict(backoff_strategies or {})
        self.test_mode = TestMode()
        self.events = EventHub(self)
        self._registered = False
        self._checked_policy = False

    def __repr__(self) -> str:
        return f"<Queue {self.name}>"

    @property
    def client(self) -> redis.Redis:
        """The Redis client this queue uses."""
        return self.driver.client

    # ------------------------------------------------------------------ creating jobs
    def create(self, data: Any = None, **options: Any) -> Job:
        """A new job (not yet saved: call ``.save()``), as Kue's ``queue.create(type, data)``.

        Options: ``priority`` (Kue name or int), ``delay`` (ms, timedelta or datetime),
        ``attempts``, ``backoff`` (True, ms, ``{"type": "fixed"|"exponential", "delay": ms,
        "max_delay": ms}`` or a function (attempts, error) -> ms), ``ttl`` (ms),
        ``remove_on_complete``, ``events``.

        Raises:
            TypeError: ``data`` is not JSON data.
            InvalidJobOption: an option is unknown or out of range.
        """
        return self._new_job(data, self._options(options))

    def _new_job(self, data: Any, options: JobOptions) -> Job:
        text = encode_json(data, "job data")
        job = Job(self, data, options)
        job._data_json = text
        return job

    def add(self, data: Any = None, **options: Any) -> Job:
        """Create and save a job in one call."""
        return self.create(data, **options).save()

    def create_bulk(self, items: Iterable[Any], **options: Any) -> list[Job]:
        """Create and save many jobs, one script call per :data:`BULK_CHUNK` jobs.

        Each item is the job's data, or a ``(data, options_dict)`` pair whose
        options override ``options``. Everything is validated before anything
        is written.
        """
        jobs: list[Job] = []
        shared = self._options(options)  # validated once, reused for items without options of their own
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
                jobs.append(self._new_job(item[0], self._options({**options, **item[1]})))
            else:
                jobs.append(self._new_job(item, shared))
        if self.test_mode.active and not self.test_mode.process:
            for job in jobs:
                self.test_mode.record(job)
            return jobs
        for start in range(0, len(jobs), BULK_CHUNK):
            self._store(jobs[start:start + BULK_CHUNK])
        if self.test_mode.active:  # processing test mode: saved for real, and recorded as save() does
            for job in jobs:
                self.test_mode.record(job)
        return jobs

    def _options(self, options: dict[str, Any]) -> JobOptions:
        if not options:
            return DEFAULT_OPTIONS
        backoff = options.get("backoff")
        if callable(backoff) and not isinstance(backoff, bool):
            name = f"{getattr(backoff, '__module__', '?')}.{getattr(backoff, '__qualname__', repr(backoff))}"
            self.backoff_strategies.setdefault(name, backoff)
        try:
            return JobOptions.build(now_ms=self.now(), **options)
        except TypeError as exc:
            if "unexpected keyword" in str(exc):
                allowed = "priority, delay, attempts, backoff, ttl, remove_on_complete, events"
                raise InvalidJobOption(f"{exc}; job options are: {allowed}") from None
            raise

    def _save(self, job: Job) -> Job:
        if self.test_mode.active:
            if self.test_mode.process:
                self._store([job])
            self.test_mode.record(job)
            return job
        if job.id is not None:
            raise InvalidTransition(f"job {job.id} is already saved")
        self._store([job])
        return job

    def _store(self, jobs: list[Job]) -> None:
        self._prepare()
        now = self.now()
        fields: dict[int, list[Any]] = {}  # options objects are shared in bulk: encode each once
        payload = [
            (j._data_json or encode_json(j.data, "job data"), fields.get(id(j.options)) or
             fields.setdefault(id(j.options), j.options.fields()))
            for j in jobs
        ]
        ids, first_event = self.driver.run(conv.enqueue(self.keys, self.events_maxlen, now, payload))
        for job, job_id in zip(jobs, ids, strict=True):
            job.id = job_id
            job.state = JobState.DELAYED if job.options.delay > 0 else JobState.INACTIVE
            job.created_at = job.updated_at = now
            # every job's enqueue event comes at or after the batch's first one
            job.event_id = first_event

    def _prepare(self) -> None:
        """Once per queue object: register the queue's name and check the eviction policy."""
        if self._registered:
            return
        self._registered = True
        try:
            self.client.sadd(self.keys.registry, self.name)
        except redis.ResponseError as exc:  # e.g. a cluster refusing the unrelated slot
            log.debug("could not register queue name: %s", exc)
        self.check_eviction_policy()

    def check_eviction_policy(self) -> str | None:
        """Warn (once) when Redis may evict keys: a queue needs ``maxmemory-policy noeviction``."""
        if self._checked_policy:
            return None
        self._checked_policy = True
        try:
            policy = self.client.config_get("maxmemory-policy").get("maxmemory-policy")
        except (redis.ResponseError, AttributeError):
            return None  # CONFIG is disabled on many managed servers
        if policy and policy != "noeviction":
            log.warning(
                "Redis maxmemory-policy is %r: under memory pressure Redis may delete queue keys "
                "and lose jobs; set it to 'noeviction'", policy,
            )
        return str(policy) if policy else None

    # ------------------------------------------------------------------ reading jobs
    def get_job(self, job_id: str | int) -> Job:
        """The job with this id (Kue's ``Job.get``); raises :class:`~queuesim.JobNotFound`."""
        job_id = _job_id(job_id)
        record = self.driver.run(conv.get_record(self.keys, job_id))
        if record is None:
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        return Job.from_record(self, record)

    def jobs(self, state: JobState | str, start: int = 0, stop: int = -1, order: str = "asc") -> list[Job]:
        """Jobs in ``state`` by rank: inactive by priority then id, delayed by due time,
        active by lease deadline, complete and failed by when they ended."""
        state = parse_state(state)
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
        ids = self.driver.run(conv.range_ids(self.keys, state.value, start, stop, order))
        records = self.driver.run(conv.get_records(self.keys, ids))
        return [Job.from_record(self, r) for r in records]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state, e.g. ``{"inactive": 3, "active": 1, ...}``."""
        return self.driver.run(conv.counts(self.keys))

    def stats(self) -> dict[str, int]:
        """Counts per state plus ``completed``, ``failed`` totals and ``work_time`` (ms)."""
        raw = self.client.hgetall(self.keys.stats)
        totals = {k.decode() if isinstance(k, bytes) else k: int(v) for k, v in raw.items()}
        return {**self.counts(), "completed_total": totals.get("completed", 0),
                "failed_total": totals.get("failed", 0), "work_time": totals.get("work_time", 0)}

    def names(self) -> list[str]:
        """The names of every queue under this prefix (Kue's ``queue.types``)."""
        names = self.client.smembers(self.keys.registry)
        return sorted(n.decode() if isinstance(n, bytes) else n for n in names)

    # ------------------------------------------------------------------ changing jobs
    def remove(self, job_id: str | int, *, force: bool = False) -> None:
        """Delete a job and everything about it.

        A running job belongs to its worker: removing it raises InvalidTransition
        unless ``force`` (then the worker's outcome is refused when it comes).

        Raises:
            JobNotFound: no such job.
            InvalidTransition: the job is running and ``force`` is not set; nothing changed.
        """
        job_id = _job_id(job_id)
        _removed(self.driver.run(conv.remove(self.keys, self.events_maxlen, job_id, force)), job_id, self.name)

    def move(self, job_id: str | int, state: JobState | str, *, priority: int | str | None = None) -> JobState:
        """Move a job that is not running to another state (``inactive`` requeues it)."""
        target = parse_state(state)
        if target is JobState.ACTIVE:
            raise InvalidTransition("only a worker can make a job active")
        return self._move(_job_id(job_id), target.value, priority)

    def requeue(self, job_id: str | int) -> JobState:
        """Put a failed (or complete, or delayed) job back to ``inactive``."""
        return self.move(job_id, JobState.INACTIVE)

    def set_priority(self, job_id: str | int, priority: int | str) -> JobState:
        """Change a job's priority (a waiting job moves to its new place at once)."""
        return self._move(_job_id(job_id), "", priority)

    def _move(self, job_id: str, target: str, priority: int | str | None) -> JobState:
        value = None if priority is None else normalize_priority(priority)
        result = self.driver.run(conv.move(self.keys, self.events_maxlen, job_id, target, self.now(), value))
        if result == "missing":
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        if result == "active" and target != "active":
            raise InvalidTransition(f"job {job_id} is running; it cannot be moved until it finishes")
        return JobState(result)

    def clean(self, state: JobState | str, older_than_ms: int = 0, limit: int = 1000) -> list[str]:
        """Delete complete or failed jobs that ended ``older_than_ms`` ago or earlier; returns their ids."""
        state = parse_state(state)
        if state not in (JobState.COMPLETE, JobState.FAILED):
            raise ValueError("only complete or failed jobs can be cleaned")
        if older_than_ms < 0 or limit < 1:
            raise ValueError("older_than_ms must be >= 0 and limit >= 1")
        return self.driver.run(conv.clean(self.keys, state.value, self.now() - older_than_ms, limit))

    # ------------------------------------------------------------------ queue-wide controls
    def pause(self) -> None:
        """Pause the queue: no worker claims a job until :meth:`resume` (running jobs finish)."""
        self.driver.run(conv.set_paused(self.keys, True))

    def resume(self) -> None:
        """Resume a paused queue."""
        self.driver.run(conv.set_paused(self.keys, False))

    def is_paused(self) -> bool:
        """Whether the queue is paused."""
        value = self.client.hget(self.keys.meta, "paused")
        return value in ("1", b"1")

    def promote(self) -> int:
        """Make due delayed jobs runnable now (workers do this by themselves); returns how many wait."""
        return self.driver.run(conv.promote(self.keys, self.events_maxlen, self.now())).inactive

    def recover_stalled(self, *, max_stalls: int = 3) -> int:
        """Recover jobs whose lease has expired, now (workers do this on a timer); returns inactive count."""
        return self.driver.run(
            conv.recover_stalled(self.keys, self.events_maxlen, self.now(), stall_interval_ms=5000,
                                 max_stalls=max_stalls)
        ).inactive

    # ------------------------------------------------------------------ events
    def on(self, event: str, callback: Callable[..., Any]) -> Queue:
        """Call ``callback(job_id, *args)`` on every ``"job <event>"`` of this queue, from any process."""
        self.events.on_queue(event, callback)
        return self

    def close(self) -> None:
        """Stop the event listener (the Redis client stays open: it is the caller's)."""
        self.events.close()


def parse_state(state: JobState | str) -> JobState:
    """A state from its name; ``ValueError`` listing the valid names otherwise."""
    try:
        return JobState(state)
    except ValueError:
        names = ", ".join(s.value for s in JobState)
        raise ValueError(f"unknown job state {state!r}; states are {names}") from None


def _job_id(job_id: str | int) -> str:
    text = str(job_id)
    if isinstance(job_id, bool) or not text.isdigit():
        raise JobNotFound(f"{job_id!r} is not a job id (ids are positive integers)")
    return str(int(text))


def _removed(result: str, job_id: str, queue: str) -> None:
    """Raise what a ``remove`` conversation's answer means (Queue and AsyncQueue share it)."""
    if result == "missing":
        raise JobNotFound(f"job {job_id} of queue {queue!r} does not exist")
    if result == "active":
        raise InvalidTransition(
            f"job {job_id} is running; it cannot be removed until it finishes "
            "(force=True removes it anyway: its worker's outcome is then refused)"
        )
