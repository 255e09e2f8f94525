"""A job's stored record, in one place: how a new one is written, and how one is read back into a job.

A record is a JSON object, the value of the job's field in the queue's ``jobs``
hash. Python writes what it knows before the job is saved: the data, the
options and the counters at zero (:func:`enqueue_fields`, :func:`record_members`).
``enqueue.lua`` adds only what the script alone knows (``id``, ``state``,
``created_at``, ``updated_at``, and ``promote_at`` for a delayed job), by joining
strings, so saving costs no JSON work in Redis. Scripts change the state fields
later (``attempts``, ``token``, ``started_at``, ``result``, ...).

Reading goes the other way: :func:`load_record` fills a job from a record, and
:func:`job_from_claim` builds the job a handler receives from what ``claim.lua``
returns. Every shell (sync, asyncio, the dashboard) uses these.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from queuesim.queue.options import DEFAULT_OPTIONS, JobOptions, encode_json

if TYPE_CHECKING:
    from queuesim.queue.conversations import ClaimedJob
    from queuesim.queue.job import BaseJob

__all__ = [
    "DEFAULT_FIELDS",
    "TIME_FIELDS",
    "enqueue_fields",
    "job_from_claim",
    "load_record",
    "options_from_record",
    "record_members",
]

J = TypeVar("J", bound="BaseJob")

#: The record's times (ms), each absent until it happens.
TIME_FIELDS = ("created_at", "updated_at", "started_at", "finished_at", "failed_at", "duration")


def enqueue_fields(options: JobOptions) -> list[Any]:
    """What ``enqueue.lua`` takes after a job's data for these options: [members suffix, priority, delay, events].

    The suffix holds the record's option fields and zeroed counters as JSON object
    members, closing brace included; :func:`record_members` puts the data in front.
    """
    if options is DEFAULT_OPTIONS:
        return list(DEFAULT_FIELDS)
    return _fields(options)


def _fields(options: JobOptions) -> list[Any]:
    members = json.dumps(
        {
            "priority": options.priority, "delay": options.delay, "attempts": 0, "max_attempts": options.attempts,
            "backoff": encode_json(options.backoff, "backoff") if options.backoff else "", "ttl": options.ttl,
            "remove_on_complete": int(options.remove_on_complete), "events": int(options.events),
            "progress": 0, "stalls": 0, "runs": 0,
        },
        separators=(",", ":"),
    )
    return ["," + members[1:], options.priority, options.delay, int(options.events)]


#: The fields of a job created without options: shared, so the common case builds nothing.
DEFAULT_FIELDS: tuple[Any, ...] = tuple(_fields(DEFAULT_OPTIONS))


def record_members(data_json: str, fields: Sequence[Any]) -> list[Any]:
    """The per-job values ``enqueue.lua`` takes: the record's members, data first, then the rest of ``fields``."""
    return ['"data":' + json.dumps(data_json) + fields[0], *fields[1:]]


def options_from_record(record: dict[str, Any]) -> JobOptions:
    """The options stored in a record."""
    backoff = record.get("backoff") or ""
    return JobOptions(
        priority=int(record["priority"]),
        delay=int(record.get("delay", 0)),
        attempts=int(record["max_attempts"]),
        backoff=json.loads(backoff) if backoff else None,
        ttl=int(record.get("ttl", 0)),
        remove_on_complete=bool(record.get("remove_on_complete", 0)),
        events=bool(record.get("events", 1)),
    )


def load_record(job: BaseJob, record: dict[str, Any]) -> None:
    """Fill ``job`` from its stored record (the one reading of a record into a job)."""
    from queuesim.queue.job import JobState

    job.id = str(record["id"])
    job.data = json.loads(record["data"])
    job.options = options_from_record(record)
    job.state = JobState(record["state"])
    job.attempts = int(record.get("attempts", 0))
    job.percent = int(record.get("progress", 0))
    pdata = record.get("progress_data")
    job.progress_data = json.loads(pdata) if pdata else None
    result = record.get("result")
    job.result = json.loads(result) if result is not None else None
    job.error = record.get("error")
    job.stacktrace = record.get("stacktrace") or None
    for name in TIME_FIELDS:
        value = record.get(name)
        setattr(job, name, None if value is None else int(value))


@functools.lru_cache(maxsize=256)
def _claim_options(priority: int, max_attempts: int, backoff: str, ttl: int) -> JobOptions:
    """A claimed job's options (immutable, so jobs with the same options share one object)."""
    return JobOptions(priority=priority, attempts=max_attempts, backoff=json.loads(backoff) if backoff else None,
                      ttl=ttl)


def job_from_claim(queue: Any, claimed: ClaimedJob, job_class: type[J]) -> J:
    """The job a handler receives for a job its worker has just claimed."""
    from queuesim.queue.job import JobState

    options = _claim_options(claimed.priority, claimed.max_attempts, claimed.backoff, claimed.ttl)
    job = job_class(queue, json.loads(claimed.data), options)
    job.id = claimed.id
    job.state = JobState.ACTIVE
    job.attempts = claimed.attempts
    job.created_at = claimed.created_at
    job._token = claimed.token
    return job
