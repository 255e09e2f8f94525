"""The queue's one core: its settings, and every operation as a conversation, shared by the shells.

:class:`~queuesim.Queue` (sync) and :class:`~queuesim.AsyncQueue` (asyncio)
are thin shells over a :class:`QueueCore`: each public method runs one of the
conversations here with its own driver (``driver.run(...)`` or ``await
driver.run(...)``), so options are checked, records written and read, results
mapped to errors, and test mode honoured in one place. The conversations raise
queuesim's errors themselves (a missing job is :class:`~queuesim.JobNotFound`
whichever shell asked), and take the time from the queue's clock, so the
simulation can drive them too.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from queuesim.drivers import Conversation
from queuesim.errors import InvalidTransition, JobNotFound
from queuesim.queue import conversations as conv
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import (
    DEFAULT_OPTIONS,
    BackoffFunction,
    JobOptions,
    encode_json,
    normalize_priority,
    parse_options,
)
from queuesim.queue.record import enqueue_fields, load_record
from queuesim.queue.testmode import TestMode

if TYPE_CHECKING:
    from queuesim.queue.job import BaseJob, JobState

__all__ = [
    "BULK_CHUNK",
    "QueueCore",
    "QueueShell",
    "check_job_id",
    "check_name",
    "parse_state",
    "wall_clock_ms",
]

log = logging.getLogger("queuesim.queue")

#: Jobs saved per script call by ``create_bulk``.
BULK_CHUNK = 1000
_NAME_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

J = TypeVar("J", bound="BaseJob")


def wall_clock_ms() -> int:
    """The wall clock in integer milliseconds (the default clock of a queue)."""
    return time.time_ns() // 1_000_000


def check_name(name: str) -> str:
    """``name`` if it can name a queue (or a key prefix); TypeError or ValueError saying what is wrong."""
    if not isinstance(name, str):
        raise TypeError(f"queue name must be a string, not {type(name).__name__}")
    if not name or len(name) > _NAME_MAX or any(c in name for c in "{}\r\n"):
        raise ValueError(f"queue name {name!r} must be 1-{_NAME_MAX} characters without braces or newlines")
    if _CONTROL.search(name):  # a NUL, an escape or a DEL would reach key names, listings and pages
        raise ValueError(f"queue name {name!r} must not contain control characters "
                         "(U+0000-U+001F, U+007F-U+009F: NUL, tab, escape, DEL...)")
    return name


def parse_state(state: JobState | str) -> JobState:
    """A state from its name; ``ValueError`` listing the valid names otherwise."""
    from queuesim.queue.job import JobState

    try:
        return JobState(state)
    except ValueError:
        names = ", ".join(s.value for s in JobState)
        raise ValueError(f"unknown job state {state!r}; states are {names}") from None


def check_job_id(job_id: str | int) -> str:
    """A job id in its stored form; JobNotFound for anything that cannot be one."""
    text = str(job_id)
    if isinstance(job_id, bool) or not text.isdigit():
        raise JobNotFound(f"{job_id!r} is not a job id (ids are positive integers)")
    return str(int(text))


class QueueCore:
    """A queue's settings and operations, without I/O (see the module docstring).

    Args:
        name: the queue's name (Kue's job *type*); its keys are ``qs:{name}:*``.
        prefix: the first part of every key.
        clock: returns the current time in ms; a simulation passes its own.
        events_maxlen: about how many events the stream keeps.
        backoff_strategies: custom backoff functions by name.
    """

    def __init__(
        self,
        name: str,
        *,
        prefix: str = "qs",
        clock: Callable[[], int] = wall_clock_ms,
        events_maxlen: int = 10_000,
        backoff_strategies: Mapping[str, BackoffFunction] | None = None,
    ) -> None:
        self.name = check_name(name)
        self.keys = QueueKeys(self.name, check_name(prefix))
        self.now = clock
        self.events_maxlen = int(events_maxlen)
        self.backoff_strategies: dict[str, BackoffFunction] = dict(backoff_strategies or {})
        self.test_mode: TestMode[Any] = TestMode()
        self._prepared = False
        self._warned_policy = False

    def __repr__(self) -> str:
        return f"<QueueCore {self.name}>"

    @property
    def recording_only(self) -> bool:
        """Whether test mode records jobs instead of writing them (so nothing of theirs reaches Redis)."""
        return self.test_mode.active and not self.test_mode.process

    # ------------------------------------------------------------------ making jobs (no I/O)
    def options(self, options: Mapping[str, Any]) -> JobOptions:
        """``create``'s keyword arguments, checked (InvalidJobOption names what is wrong)."""
        if not options:
            return DEFAULT_OPTIONS
        return parse_options(options, self.now(), self.backoff_strategies)

    def new_job(self, job_class: type[J], shell: Any, data: Any, options: JobOptions) -> J:
        """An unsaved job of ``shell`` (its queue) holding ``data``, encoded once here (TypeError if not JSON)."""
        text = encode_json(data, "job data")
        job = job_class(shell, data, options)
        job._data_json = text
        return job

    def new_jobs(self, job_class: type[J], shell: Any, items: Iterable[Any], options: Mapping[str, Any]) -> list[J]:
        """Unsaved jobs for ``create_bulk``: each item is the data, or a ``(data, options_dict)`` pair
        whose options override ``options``; everything is checked before anything is written."""
        shared = self.options(options)  # checked once, reused for the items without options of their own
        jobs: list[J] = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
                jobs.append(self.new_job(job_class, shell, item[0], self.options({**options, **item[1]})))
            else:
                jobs.append(self.new_job(job_class, shell, item, shared))
        return jobs

    # ------------------------------------------------------------------ saving
    def save(self, jobs: Sequence[BaseJob]) -> Conversation[None]:
        """Store new jobs (in test mode: record them; with ``process=True`` also store them), one script
        call per :data:`BULK_CHUNK`; fills in their ids, states and times.

        Raises:
            InvalidTransition: a job was saved already.
        """
        test_mode = self.test_mode
        if test_mode.active and not test_mode.process:
            for job in jobs:
                test_mode.record(job)
            return
        for job in jobs:
            if job.id is not None:
                raise InvalidTransition(f"job {job.id} is already saved")
        yield from self.prepare()
        for start in range(0, len(jobs), BULK_CHUNK):
            yield from self._enqueue(jobs[start:start + BULK_CHUNK])
        if test_mode.active:  # processing test mode: saved for real, and recorded
            for job in jobs:
                test_mode.record(job)

    def _enqueue(self, jobs: Sequence[BaseJob]) -> Conversation[None]:
        from queuesim.queue.job import JobState

        now = self.now()
        fields: dict[int, list[Any]] = {}  # options objects are shared in bulk: encode each once
        payload = [
            (j._data_json or encode_json(j.data, "job data"),
             fields.get(id(j.options)) or fields.setdefault(id(j.options), enqueue_fields(j.options)))
            for j in jobs
        ]
        ids, first_event = yield from conv.enqueue(self.keys, self.events_maxlen, now, payload)
        for job, job_id in zip(jobs, ids, strict=True):
            job.id = job_id
            job.state = JobState.DELAYED if job.options.delay > 0 else JobState.INACTIVE
            job.created_at = job.updated_at = now
            job.event_id = first_event  # every job's enqueue event comes at or after the batch's first one

    def prepare(self) -> Conversation[None]:
        """Once per queue: list its name among the queues, and warn if Redis may evict its keys."""
        if self._prepared:
            return
        self._prepared = True
        yield from conv.register_name(self.keys)
        yield from self.check_eviction_policy()

    def check_eviction_policy(self) -> Conversation[str | None]:
        """The server's ``maxmemory-policy``; a warning (once per queue) when it is not ``noeviction``."""
        policy = yield from conv.eviction_policy()
        if policy and policy != "noeviction" and not self._warned_policy:
            self._warned_policy = True
            log.warning(
                "Redis maxmemory-policy is %r: under memory pressure Redis may delete queue keys "
                "and lose jobs; set it to 'noeviction'", policy,
            )
        return policy

    # ------------------------------------------------------------------ reading
    def record(self, job_id: str | int) -> Conversation[dict[str, Any]]:
        """A job's stored record; raises JobNotFound."""
        job_id = check_job_id(job_id)
        record = yield from conv.get_record(self.keys, job_id)
        if record is None:
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        return record

    def get_job(self, job_class: type[J], shell: Any, job_id: str | int) -> Conversation[J]:
        """The job with this id, as ``job_class`` of ``shell``; raises JobNotFound."""
        job = job_class(shell, None)
        load_record(job, (yield from self.record(job_id)))
        return job

    def refresh(self, job: BaseJob) -> Conversation[None]:
        """Reload ``job`` from its record; raises JobNotFound if it is gone."""
        load_record(job, (yield from self.record(self.saved_id(job))))

    def jobs(
        self, job_class: type[J], shell: Any, state: JobState | str, start: int, stop: int, order: str
    ) -> Conversation[list[J]]:
        """Jobs in ``state`` by rank (``order``: ``asc`` is the index's own order)."""
        name = parse_state(state).value
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
        ids = yield from conv.range_ids(self.keys, name, start, stop, order)
        out: list[J] = []
        for record in (yield from conv.get_records(self.keys, ids)):
            job = job_class(shell, None)
            load_record(job, record)
            out.append(job)
        return out

    def counts(self) -> Conversation[dict[str, int]]:
        """How many jobs are in each state."""
        return conv.counts(self.keys)

    def stats(self) -> Conversation[dict[str, int]]:
        """Counts per state plus the ``completed_total``, ``failed_total`` and ``work_time`` (ms) counters."""
        return conv.stats(self.keys)

    def names(self) -> Conversation[list[str]]:
        """The names of every queue under this prefix."""
        return conv.names(self.keys)

    def is_paused(self) -> Conversation[bool]:
        """Whether the queue is paused."""
        return conv.is_paused(self.keys)

    # ------------------------------------------------------------------ changing
    def remove(self, job_id: str | int, force: bool) -> Conversation[None]:
        """Delete a job and everything about it; a running one only with ``force``.

        Raises:
            JobNotFound: no such job.
            InvalidTransition: the job is running and ``force`` is not set; nothing changed.
        """
        job_id = check_job_id(job_id)
        result = yield from conv.remove(self.keys, self.events_maxlen, job_id, force)
        if result == "missing":
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        if result == "active":
            raise InvalidTransition(
                f"job {job_id} is running; it cannot be removed until it finishes "
                "(force=True removes it anyway: its worker's outcome is then refused)"
            )

    def move(
        self, job_id: str | int, state: JobState | str | None, priority: int | str | None = None,
        *, reset_attempts: bool = False,
    ) -> Conversation[JobState]:
        """Move a job that is not running to ``state`` (None keeps it), optionally re-prioritised.

        Raises:
            JobNotFound: no such job.
            InvalidTransition: ``state`` is ``active``, or the job is running.
        """
        from queuesim.queue.job import JobState

        target = "" if state is None else parse_state(state).value
        if target == JobState.ACTIVE:
            raise InvalidTransition("only a worker can make a job active")
        job_id = check_job_id(job_id)
        value = None if priority is None else normalize_priority(priority)
        result = yield from conv.move(self.keys, self.events_maxlen, job_id, target, self.now(), value,
                                      reset_attempts=reset_attempts)
        if result == "missing":
            raise JobNotFound(f"job {job_id} of queue {self.name!r} does not exist")
        if result == "active":
            raise InvalidTransition(f"job {job_id} is running; it cannot be moved until it finishes")
        return JobState(result)

    def clean(self, state: JobState | str, older_than_ms: int, limit: int) -> Conversation[list[str]]:
        """Delete complete or failed jobs that ended ``older_than_ms`` ago or earlier; returns their ids."""
        from queuesim.queue.job import JobState

        chosen = parse_state(state)
        if chosen not in (JobState.COMPLETE, JobState.FAILED):
            raise ValueError("only complete or failed jobs can be cleaned")
        if older_than_ms < 0 or limit < 1:
            raise ValueError("older_than_ms must be >= 0 and limit >= 1")
        return (yield from conv.clean(self.keys, chosen.value, self.now() - older_than_ms, limit))

    def set_paused(self, paused: bool) -> Conversation[None]:
        """Pause or resume the queue for every worker."""
        return conv.set_paused(self.keys, paused)

    def promote(self) -> Conversation[int]:
        """Make due delayed jobs runnable now; returns how many jobs wait."""
        return (yield from conv.promote(self.keys, self.events_maxlen, self.now())).inactive

    def recover_stalled(self, max_stalls: int) -> Conversation[int]:
        """Recover jobs whose lease expired, now; returns how many jobs wait."""
        fetched = yield from conv.recover_stalled(self.keys, self.events_maxlen, self.now(), stall_interval_ms=5000,
                                                  max_stalls=max_stalls)
        return fetched.inactive

    # ------------------------------------------------------------------ a job reporting from its handler
    def progress(self, job: BaseJob, done: float, total: float, data: Any) -> Conversation[int]:
        """Set ``job``'s progress to ``done/total`` percent with ``data``, and emit ``progress``."""
        from queuesim.queue.job import percent

        pct = percent(done, total)
        payload = encode_json(data, "progress data")
        job.percent, job.progress_data = pct, data
        if not self.recording_only:
            yield from conv.progress(self.keys, self.events_maxlen, self.saved_id(job), pct, payload, self.now())
        return pct

    def log(self, job: BaseJob, message: str, args: tuple[Any, ...]) -> Conversation[None]:
        """Append ``message % args`` (or ``message``) to ``job``'s log."""
        line = message % args if args else str(message)
        if not self.recording_only:
            yield from conv.log(self.keys, self.saved_id(job), line)

    def logs(self, job: BaseJob) -> Conversation[list[str]]:
        """``job``'s log lines."""
        return conv.logs(self.keys, self.saved_id(job))

    @staticmethod
    def saved_id(job: BaseJob) -> str:
        """``job``'s id; JobNotFound when it was never saved."""
        if job.id is None:
            raise JobNotFound("the job has not been saved yet")
        return job.id


class QueueShell(Generic[J]):
    """What both shells show of their core (``J``: the shell's job class). Subclasses set :attr:`core`."""

    core: QueueCore

    @property
    def name(self) -> str:
        """The queue's name (Kue's job type)."""
        return self.core.name

    @property
    def keys(self) -> QueueKeys:
        """The queue's Redis keys."""
        return self.core.keys

    @property
    def now(self) -> Callable[[], int]:
        """The queue's clock (ms)."""
        return self.core.now

    @property
    def events_maxlen(self) -> int:
        """About how many events the stream keeps."""
        return self.core.events_maxlen

    @property
    def backoff_strategies(self) -> dict[str, BackoffFunction]:
        """Custom backoff functions by name."""
        return self.core.backoff_strategies

    @property
    def test_mode(self) -> TestMode[J]:
        """Kue's test mode of this queue."""
        return self.core.test_mode
