"""The queue: create, read, move and count jobs (the synchronous shell over :class:`~queuesim.queue.core.QueueCore`).

Every method runs one of the core's conversations with the queue's
:class:`~queuesim.drivers.SyncDriver`; :class:`~queuesim.AsyncQueue` runs the
very same ones with an asyncio driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from queuesim.drivers import Conversation, SyncDriver, T
from queuesim.queue.core import BULK_CHUNK, QueueCore, QueueShell, parse_state, wall_clock_ms
from queuesim.queue.events import EventHub
from queuesim.queue.job import Job, JobState
from queuesim.queue.options import BackoffFunction

__all__ = ["BULK_CHUNK", "Queue", "parse_state", "wall_clock_ms"]


class Queue(QueueShell[Job]):
    """A named job queue on Redis (Kue's ``createQueue`` plus its job management).

    Args:
        name: the queue's name (Kue's job *type*); its keys are ``qs:{name}:*``.
        redis: a ``redis.Redis`` client (or fakeredis's); ``None`` calls :func:`queuesim.connect`
            (``REDIS_URL``, else the embedded store, with a warning in a program that is not
            interactive), and :meth:`close` closes that client.
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
        self.core = QueueCore(name, prefix=prefix, clock=clock, events_maxlen=events_maxlen,
                              backoff_strategies=backoff_strategies)
        self._owns_client = redis is None
        if redis is None:
            from queuesim.connection import connect

            redis = connect()
        self.driver = SyncDriver(redis)
        self.events = EventHub(self)

    def __repr__(self) -> str:
        return f"<Queue {self.name}>"

    @property
    def client(self) -> Any:
        """The Redis client this queue uses."""
        return self.driver.client

    def run(self, conversation: Conversation[T]) -> T:
        """Run any conversation on this queue's connection (e.g. a handler's own Redis work)."""
        return self.driver.run(conversation)

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
        return self.core.new_job(Job, self, data, self.core.options(options))

    def add(self, data: Any = None, **options: Any) -> Job:
        """Create and save a job in one call."""
        return self.create(data, **options).save()

    def create_bulk(self, items: Iterable[Any], **options: Any) -> list[Job]:
        """Create and save many jobs, one script call per :data:`BULK_CHUNK` jobs.

        Each item is the job's data, or a ``(data, options_dict)`` pair whose
        options override ``options``. Everything is validated before anything
        is written.
        """
        jobs = self.core.new_jobs(Job, self, items, options)
        self.driver.run(self.core.save(jobs))
        return jobs

    def check_eviction_policy(self) -> str | None:
        """The server's ``maxmemory-policy``; warns when it is not ``noeviction`` (a queue needs it)."""
        return self.driver.run(self.core.check_eviction_policy())

    # ------------------------------------------------------------------ reading jobs
    def get_job(self, job_id: str | int) -> Job:
        """The job with this id (Kue's ``Job.get``); raises :class:`~queuesim.JobNotFound`."""
        return self.driver.run(self.core.get_job(Job, self, job_id))

    def jobs(self, state: JobState | str, start: int = 0, stop: int = -1, order: str = "asc") -> list[Job]:
        """Jobs in ``state`` by rank: inactive by priority then id, delayed by due time,
        active by lease deadline, complete and failed by when they ended."""
        return self.driver.run(self.core.jobs(Job, self, state, start, stop, order))

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state, e.g. ``{"inactive": 3, "active": 1, ...}``."""
        return self.driver.run(self.core.counts())

    def stats(self) -> dict[str, int]:
        """Counts per state plus ``completed_total``, ``failed_total`` and ``work_time`` (ms).

        ``work_time`` adds up how long each run took, from its start to the moment its
        handler returned (not to when its worker could report it, so an outage is not
        counted as work).
        """
        return self.driver.run(self.core.stats())

    def names(self) -> list[str]:
        """The names of every queue under this prefix (Kue's ``queue.types``)."""
        return self.driver.run(self.core.names())

    # ------------------------------------------------------------------ changing jobs
    def remove(self, job_id: str | int, *, force: bool = False) -> None:
        """Delete a job and everything about it.

        A running job belongs to its worker: removing it raises InvalidTransition
        unless ``force`` (then the worker's outcome is refused when it comes).

        Raises:
            JobNotFound: no such job.
            InvalidTransition: the job is running and ``force`` is not set; nothing changed.
        """
        self.driver.run(self.core.remove(job_id, force))

    def move(self, job_id: str | int, state: JobState | str, *, priority: int | str | None = None) -> JobState:
        """Move a job that is not running to another state, keeping its attempts count
        (``inactive`` queues it again; :meth:`requeue` also gives its attempts back)."""
        return self.driver.run(self.core.move(job_id, state, priority))

    def requeue(self, job_id: str | int, *, reset_attempts: bool = True) -> JobState:
        """Put a failed (or complete, or delayed) job back to ``inactive`` so it runs again.

        By default the job gets all its attempts back (and its stall count is forgotten):
        a job created with ``attempts=3`` that failed three times runs up to three more
        times, with its backoff between them. ``reset_attempts=False`` keeps the count, so
        a job that had used its attempts gets one more run (Kue's requeue).
        """
        return self.driver.run(self.core.move(job_id, JobState.INACTIVE, reset_attempts=reset_attempts))

    def set_priority(self, job_id: str | int, priority: int | str) -> JobState:
        """Change a job's priority (a waiting job moves to its new place at once)."""
        return self.driver.run(self.core.move(job_id, None, priority))

    def clean(self, state: JobState | str, older_than_ms: int = 0, limit: int = 1000) -> list[str]:
        """Delete complete or failed jobs that ended ``older_than_ms`` ago or earlier; returns their ids."""
        return self.driver.run(self.core.clean(state, older_than_ms, limit))

    # ------------------------------------------------------------------ queue-wide controls
    def pause(self) -> None:
        """Pause the queue: no worker claims a job until :meth:`resume` (running jobs finish)."""
        self.driver.run(self.core.set_paused(True))

    def resume(self) -> None:
        """Resume a paused queue."""
        self.driver.run(self.core.set_paused(False))

    def is_paused(self) -> bool:
        """Whether the queue is paused."""
        return self.driver.run(self.core.is_paused())

    def promote(self) -> int:
        """Make due delayed jobs runnable now (workers do this by themselves); returns how many wait."""
        return self.driver.run(self.core.promote())

    def recover_stalled(self, *, max_stalls: int = 3) -> int:
        """Recover jobs whose lease has expired, now (workers do this on a timer); returns inactive count."""
        return self.driver.run(self.core.recover_stalled(max_stalls))

    # ------------------------------------------------------------------ events
    def on(self, event: str, callback: Callable[..., Any]) -> Queue:
        """Call ``callback(job_id, *args)`` on every ``"job <event>"`` of this queue, from any process."""
        self.events.on_queue(event, callback)
        return self

    def close(self) -> None:
        """Stop the event listener; close the Redis client if the queue made it (a client passed in is the caller's)."""
        self.events.close()
        if self._owns_client:
            self.driver.client.close()
