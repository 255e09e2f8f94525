"""A job: its data, options and state, and the handle to act on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self, TypeVar

from queuesim.drivers import Conversation
from queuesim.errors import JobFailed
from queuesim.queue.options import JobOptions, normalize_priority
from queuesim.queue.outage import RETRYABLE, backoff
from queuesim.queue.record import load_record

if TYPE_CHECKING:
    from queuesim.queue.queue import Queue

__all__ = ["FINISHED", "BaseJob", "Job", "JobState", "percent"]

T = TypeVar("T")


#: How long :meth:`Job.wait` gives the event listener to deliver a finished job's last event.
CATCH_UP_S = 1.0
#: How often :meth:`Job.wait` looks at a job without events.
POLL_S = 0.1

class JobState(StrEnum):
    """Kue's job states."""

    #: waiting to run (Kue's UI calls it "queued")
    INACTIVE = "inactive"
    #: claimed by a worker, which holds a lease on it
    ACTIVE = "active"
    #: finished; its result is stored
    COMPLETE = "complete"
    #: failed its last attempt (or stalled too often)
    FAILED = "failed"
    #: waiting for its delay or its retry backoff to pass
    DELAYED = "delayed"


#: The states a job ends in.
FINISHED = (JobState.COMPLETE, JobState.FAILED)


def percent(done: float, total: float) -> int:
    """Progress as an integer percent: ``min(100, done * 100 // total)``."""
    for name, value in (("done", done), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"progress {name} must be a number, not {type(value).__name__}")
    if total <= 0:
        raise ValueError(f"progress total must be > 0, got {total}")
    if done < 0:
        raise ValueError(f"progress done must be >= 0, got {done}")
    return int(min(100, done * 100 // total))


class BaseJob:
    """What every job is, whichever shell it belongs to: its data, options, state and times.

    :class:`Job` (sync) and :class:`~queuesim.AsyncJob` (asyncio) add the actions,
    with the same names and arguments.
    """

    __slots__ = (
        "_data_json",
        "_token",
        "attempts",
        "created_at",
        "data",
        "duration",
        "error",
        "event_id",
        "failed_at",
        "finished_at",
        "id",
        "options",
        "percent",
        "progress_data",
        "queue",
        "result",
        "stacktrace",
        "started_at",
        "state",
        "updated_at",
    )

    def __init__(self, queue: Any, data: Any, options: JobOptions | None = None) -> None:
        self.queue = queue
        self.data = data
        self.options = options or JobOptions()
        self.id: str | None = None
        self.state: JobState | None = None
        #: runs started so far (the current one included)
        self.attempts = 0
        #: last reported progress, 0-100
        self.percent = 0
        self.progress_data: Any = None
        self.result: Any = None
        self.error: str | None = None
        self.stacktrace: str | None = None
        self.created_at: int | None = None
        self.updated_at: int | None = None
        self.started_at: int | None = None
        self.finished_at: int | None = None
        self.failed_at: int | None = None
        self.duration: int | None = None
        #: the stream id of this job's ``enqueue`` event, used to replay events a listener missed
        self.event_id: str | None = None
        self._token: str | None = None
        #: the data as JSON text, kept from validation so saving does not encode it twice
        self._data_json: str | None = None

    @property
    def reporting(self) -> bool:
        """Whether a worker runs this job for the handler holding it (it holds the run's lease).

        Then ``progress`` and ``log`` ride out a Redis outage: they try again, waiting
        0.1 s, then twice as long each time up to 5 s, until Redis answers, instead of
        failing the job (the worker itself logs the outage). Elsewhere they raise.
        """
        return self._token is not None

    def __repr__(self) -> str:
        state = self.state.value if self.state else "unsaved"
        return f"<{type(self).__name__} {self.id or '?'} {self.queue.name}:{state}>"

    # ------------------------------------------------------------------ options, Kue style
    @property
    def priority(self) -> int:
        """The job's priority (lower runs first)."""
        return self.options.priority

    @property
    def max_attempts(self) -> int:
        """How many runs the job may have in all."""
        return self.options.attempts

    def _outcome(self) -> Any:
        """The result of a finished job; JobFailed for a failed one."""
        if self.state is JobState.FAILED:
            raise JobFailed(self.id or "?", self.error or "failed")
        return self.result

    @classmethod
    def from_record(cls, queue: Any, record: dict[str, Any]) -> Self:
        """A job filled from a stored record."""
        job = cls(queue, None)
        load_record(job, record)
        return job

    def to_dict(self) -> dict[str, Any]:
        """The job as plain JSON-ready data (the shape of Kue's ``GET /job/:id``)."""
        return {
            "id": self.id,
            "type": self.queue.name,
            "data": self.data,
            "priority": self.priority,
            "state": self.state.value if self.state else None,
            "attempts": {"made": self.attempts, "max": self.max_attempts},
            "progress": self.percent,
            "progress_data": self.progress_data,
            "result": self.result,
            "error": self.error,
            "stacktrace": self.stacktrace,
            "delay": self.options.delay,
            "ttl": self.options.ttl,
            "backoff": self.options.backoff,
            "remove_on_complete": self.options.remove_on_complete,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "failed_at": self.failed_at,
            "duration": self.duration,
        }


class Job(BaseJob):
    """A job of a :class:`~queuesim.Queue`.

    Made by ``queue.create(data, **options)`` and stored by :meth:`save`; or
    read back with ``queue.get_job(id)``. Inside a worker's handler it is the
    job being run: :meth:`progress` and :meth:`log` report from there.
    """

    __slots__ = ()
    queue: Queue

    @classmethod
    def get(cls, queue: Queue, job_id: str | int) -> Job:
        """Kue's ``Job.get(id)``: the job with this id on ``queue``; raises JobNotFound."""
        return queue.get_job(job_id)

    # ------------------------------------------------------------------ persistence
    def save(self) -> Job:
        """Store the job (or, in test mode, record it on the queue); returns the job."""
        self.queue.driver.run(self.queue.core.save([self]))
        return self

    def refresh(self) -> Job:
        """Reload the job's state from the store; raises JobNotFound if it is gone."""
        self.queue.driver.run(self.queue.core.refresh(self))
        return self

    def remove(self, *, force: bool = False) -> None:
        """Delete the job, its log and its place in every index (Kue's ``job.remove()``).

        A running job is removed only with ``force`` (see :meth:`queuesim.Queue.remove`).
        """
        self.queue.remove(self.queue.core.saved_id(self), force=force)

    def requeue(self, *, reset_attempts: bool = True) -> JobState:
        """Put a failed (or complete, or delayed) job back to ``inactive`` so it runs again
        (see :meth:`queuesim.Queue.requeue` for ``reset_attempts``)."""
        return self.queue.requeue(self.queue.core.saved_id(self), reset_attempts=reset_attempts)

    def set_priority(self, priority: int | str) -> JobState:
        """Change the job's priority; a waiting job moves to its new place at once."""
        state = self.queue.set_priority(self.queue.core.saved_id(self), priority)
        self.options = replace(self.options, priority=normalize_priority(priority))
        return state

    # ------------------------------------------------------------------ reporting from a handler
    def progress(self, done: float, total: float, data: Any = None) -> int:
        """Report progress (``min(100, done*100 // total)`` percent) and emit ``progress``.

        In a handler, a Redis outage does not fail the job: the call waits for Redis
        (see :meth:`BaseJob.reporting`).
        """
        return self._report(lambda: self.queue.core.progress(self, done, total, data))

    def log(self, message: str, *args: Any) -> None:
        """Append a line to the job's log (``message % args`` when args are given, as Kue's format).

        In a handler, a Redis outage does not fail the job: the call waits for Redis.
        """
        self._report(lambda: self.queue.core.log(self, message, args))

    def _report(self, conversation: Callable[[], Conversation[T]]) -> T:
        waits = backoff()
        while True:
            try:
                return self.queue.driver.run(conversation())
            except RETRYABLE:
                if not self.reporting:
                    raise
            time.sleep(next(waits))

    def logs(self) -> list[str]:
        """The job's log lines."""
        return self.queue.driver.run(self.queue.core.logs(self))

    # ------------------------------------------------------------------ events
    def on(self, event: str, callback: Callable[..., Any]) -> Job:
        """Call ``callback`` on this job's ``event``, wherever the job runs (any process).

        Events and their arguments: ``enqueue`` (queue, state), ``start``, ``promotion``,
        ``progress`` (percent, data), ``failed attempt`` (error, attempts), ``failed``
        (error), ``complete`` (result), ``remove``, ``stalled`` (stalls), ``requeue``,
        ``move`` (old state, new state, priority). Callbacks run on the queue's listener thread.
        """
        self.queue.events.on_job(self.id, self.event_id, event, callback)
        return self

    def wait(self, timeout: float | None = None) -> JobState:
        """Block until the job is complete or failed (or ``timeout`` seconds pass); returns its state.

        For a job saved by this process, it returns once the final event has been
        delivered here, so callbacks registered with :meth:`on` before the call have
        seen every event up to it (if the job had finished already, the listener is
        given up to a second to catch up). A job without events (``events=False``)
        is looked at every tenth of a second instead.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.options.events:
            return self._poll_until_finished(deadline)
        if self.event_id is None:  # loaded here, not saved: no event of it to replay or catch up on
            self.refresh()
            if self.state in FINISHED:
                return self.state  # (callbacks now would wait for an event that already went by)
        done = threading.Event()
        self.on("complete", lambda *_: done.set())
        self.on("failed", lambda *_: done.set())
        self.refresh()
        if self.state in FINISHED:
            if self.event_id is not None:  # its events may still be on their way to our callbacks
                done.wait(CATCH_UP_S if timeout is None else min(timeout, CATCH_UP_S))
        else:
            done.wait(timeout)
            self.refresh()
        assert self.state is not None
        return self.state

    def wait_result(self, timeout: float | None = None) -> Any:
        """Wait for the job to finish (see :meth:`wait`) and return its result.

        Raises:
            JobFailed: the job failed for good (its ``error`` is the message).
            TimeoutError: it had not finished after ``timeout`` seconds.
        """
        state = self.wait(timeout)
        if state not in FINISHED:
            raise TimeoutError(f"job {self.id} of queue {self.queue.name!r} is still {state.value} "
                               f"after {timeout} s")
        return self._outcome()

    def _poll_until_finished(self, deadline: float | None) -> JobState:
        while True:
            self.refresh()
            assert self.state is not None
            left = None if deadline is None else deadline - time.monotonic()
            if self.state in FINISHED or (left is not None and left <= 0):
                return self.state
            time.sleep(POLL_S if left is None else min(POLL_S, left))
