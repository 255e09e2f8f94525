"""The queue's operations as conversations: generators of Redis steps, no I/O.

Each function returns a generator that a driver runs (``SyncDriver``,
``AsyncDriver``, or the simulation's ``SimDriver``); the state changes that
must not be split are single Lua scripts. Times are passed in (``now`` in ms)
so a simulation clock can drive them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from queuesim.drivers import Batch, Conversation, hash_reply, text
from queuesim.queue.keys import QueueKeys
from queuesim.queue.record import record_members
from queuesim.scripts import load_script

__all__ = [
    "STATES",
    "ClaimedJob",
    "FetchResult",
    "Outcome",
    "clean",
    "counts",
    "enqueue",
    "eviction_policy",
    "fetch",
    "fetch_and_finish",
    "finish",
    "get_record",
    "get_records",
    "is_paused",
    "log",
    "logs",
    "move",
    "names",
    "progress",
    "promote",
    "range_ids",
    "recover_stalled",
    "register_name",
    "remove",
    "renew",
    "set_paused",
    "stats",
    "wait_for_work",
]

#: Kue's job states, in the order Kue's UI lists them.
STATES: tuple[str, ...] = ("inactive", "active", "complete", "failed", "delayed")

ENQUEUE = load_script("enqueue", prelude="_prelude")
CLAIM = load_script("claim", prelude="_prelude")
FINISH = load_script("finish", prelude="_prelude")
RENEW = load_script("renew", prelude="_prelude")
PROGRESS = load_script("progress", prelude="_prelude")
REMOVE = load_script("remove", prelude="_prelude")
MOVE = load_script("move", prelude="_prelude")
CLEAN = load_script("clean")

_CLAIM_FIELDS = 9


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a worker has just claimed, with what it needs to run it."""

    id: str
    data: str
    attempts: int
    max_attempts: int
    ttl: int
    priority: int
    token: str
    backoff: str
    created_at: int


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetch returns: the claimed jobs and when to look again."""

    jobs: list[ClaimedJob]
    #: earliest time (ms) a delayed job is due or a stall check is due; None if none
    next_due: int | None
    #: inactive jobs left after the claim
    inactive: int
    #: delayed jobs
    delayed: int


@dataclass(slots=True)
class Outcome:
    """How one run ended, as a worker reports it."""

    id: str
    token: str
    #: 'complete', 'fail' or 'requeue'
    kind: str
    #: the result as JSON text, or the error message
    payload: str = "null"
    stacktrace: str = ""
    #: ms to wait before a retry (used only when attempts remain)
    retry_delay: int = 0
    #: when the run ended (queue clock, ms); -1: when it is reported. A run's duration and the
    #: queue's work time end here, so an outage between the end and the report is not counted.
    ended_at: int = -1


def enqueue(
    keys: QueueKeys, events_maxlen: int, now: int, jobs: Sequence[tuple[str, Sequence[Any]]]
) -> Conversation[tuple[list[str], str | None]]:
    """Save new jobs in one script call; ``jobs`` holds (data JSON text, ``JobOptions.fields()``) pairs.

    Returns the new ids and the stream id of the first ``enqueue`` event (a
    listener replays a job's events from there).
    """
    args: list[Any] = [now, events_maxlen, keys.name]
    for data, fields in jobs:
        args.extend(record_members(data, fields))
    reply = yield ENQUEUE(
        [keys.id, keys.jobs, keys.inactive, keys.delayed, keys.events, keys.wake], args
    )
    return [text(i) for i in reply[0]], (text(reply[1]) or None)


def _claim_step(
    keys: QueueKeys,
    events_maxlen: int,
    now: int,
    count: int,
    lease_ms: int,
    token_prefix: str,
    stall_interval_ms: int,
    max_stalls: int,
    promote_limit: int = 1000,
) -> Any:
    return CLAIM(
        [keys.jobs, keys.inactive, keys.active, keys.delayed, keys.failed, keys.events, keys.wake, keys.meta],
        [now, events_maxlen, count, lease_ms, token_prefix, stall_interval_ms, max_stalls, promote_limit],
    )


def _parse_claim(reply: Sequence[Any]) -> FetchResult:
    next_due = int(reply[0])
    n = int(reply[3])
    jobs = []
    for i in range(4, 4 + n * _CLAIM_FIELDS, _CLAIM_FIELDS):
        # positional: a frozen dataclass built by keyword costs about 2.5 times as much
        jobs.append(ClaimedJob(
            text(reply[i]), text(reply[i + 1]), int(reply[i + 2]), int(reply[i + 3]), int(reply[i + 4]),
            int(reply[i + 5]), text(reply[i + 6]), text(reply[i + 7]), int(reply[i + 8]),
        ))
    return FetchResult(jobs, None if next_due < 0 else next_due, int(reply[1]), int(reply[2]))


def fetch(
    keys: QueueKeys,
    events_maxlen: int,
    now: int,
    count: int,
    *,
    lease_ms: int,
    token_prefix: str,
    stall_interval_ms: int,
    max_stalls: int,
) -> Conversation[FetchResult]:
    """Promote due delayed jobs, recover stalled ones when due, claim up to ``count`` jobs."""
    reply = yield _claim_step(
        keys, events_maxlen, now, count, lease_ms, token_prefix, stall_interval_ms, max_stalls
    )
    return _parse_claim(reply)


def _finish_step(keys: QueueKeys, events_maxlen: int, now: int, outcomes: Sequence[Outcome]) -> Any:
    args: list[Any] = [now, events_maxlen]
    for o in outcomes:
        args.extend((o.id, o.token, o.kind, o.payload, o.stacktrace, o.retry_delay, o.ended_at))
    return FINISH(
        [keys.jobs, keys.active, keys.inactive, keys.delayed, keys.complete, keys.failed, keys.events,
         keys.wake, keys.stats, *(keys.log(o.id) for o in outcomes)],
        args,
    )


def finish(
    keys: QueueKeys, events_maxlen: int, now: int, outcomes: Sequence[Outcome]
) -> Conversation[list[bool]]:
    """Apply outcomes (complete, fail or retry, requeue); False where the lease was lost."""
    reply = yield _finish_step(keys, events_maxlen, now, outcomes)
    return [bool(int(c)) for c in reply]


def fetch_and_finish(
    keys: QueueKeys,
    events_maxlen: int,
    now: int,
    outcomes: Sequence[Outcome],
    count: int,
    *,
    lease_ms: int,
    token_prefix: str,
    stall_interval_ms: int,
    max_stalls: int,
) -> Conversation[tuple[list[bool], FetchResult]]:
    """A worker's steady-state step: report finished runs and claim new jobs in one round trip."""
    claim = _claim_step(keys, events_maxlen, now, count, lease_ms, token_prefix, stall_interval_ms, max_stalls)
    if not outcomes:
        reply = yield claim
        return [], _parse_claim(reply)
    replies = yield Batch.of([_finish_step(keys, events_maxlen, now, outcomes), claim])
    return [bool(int(c)) for c in replies[0]], _parse_claim(replies[1])


def promote(keys: QueueKeys, events_maxlen: int, now: int, limit: int = 1000) -> Conversation[FetchResult]:
    """Make delayed jobs that are due runnable (atomic; safe with any number of callers)."""
    reply = yield _claim_step(keys, events_maxlen, now, 0, 0, "", -1, 0, limit)
    return _parse_claim(reply)


def recover_stalled(
    keys: QueueKeys, events_maxlen: int, now: int, *, stall_interval_ms: int, max_stalls: int
) -> Conversation[FetchResult]:
    """Return jobs whose lease expired to ``inactive`` now (or fail those that stalled too often)."""
    yield ("HDEL", keys.meta, "stall_check_at")
    reply = yield _claim_step(keys, events_maxlen, now, 0, 0, "", stall_interval_ms, max_stalls)
    return _parse_claim(reply)


def renew(keys: QueueKeys, deadline: int, leases: Sequence[tuple[str, str]]) -> Conversation[list[str]]:
    """Extend the leases of running jobs to ``deadline``; returns the ids whose lease was lost."""
    if not leases:
        return []
    args: list[Any] = [deadline]
    for job_id, token in leases:
        args.extend((job_id, token))
    reply = yield RENEW([keys.active, keys.jobs], args)
    return [text(i) for i in reply]


def get_record(keys: QueueKeys, job_id: str) -> Conversation[dict[str, Any] | None]:
    """A job's stored record, or None."""
    raw = yield ("HGET", keys.jobs, job_id)
    return None if raw is None else dict(json.loads(raw))


def get_records(keys: QueueKeys, ids: Sequence[str]) -> Conversation[list[dict[str, Any]]]:
    """The records of ``ids`` that still exist, in order."""
    if not ids:
        return []
    raws = yield ("HMGET", keys.jobs, *ids)
    return [dict(json.loads(raw)) for raw in raws if raw is not None]


def progress(
    keys: QueueKeys, events_maxlen: int, job_id: str, percent: int, data: str, now: int
) -> Conversation[bool]:
    """Store a job's progress and publish a ``progress`` event; False if the job is gone."""
    reply = yield PROGRESS([keys.jobs, keys.events], [job_id, percent, data, now, events_maxlen])
    return bool(int(reply))


def log(keys: QueueKeys, job_id: str, line: str) -> Conversation[int]:
    """Append a line to a job's log; returns the number of lines."""
    return int((yield ("RPUSH", keys.log(job_id), line)))


def logs(keys: QueueKeys, job_id: str) -> Conversation[list[str]]:
    """A job's log lines."""
    return [text(x) for x in (yield ("LRANGE", keys.log(job_id), 0, -1))]


def remove(keys: QueueKeys, events_maxlen: int, job_id: str, force: bool = False) -> Conversation[str]:
    """Remove a job and everything about it: ``'removed'``, ``'missing'``, or ``'active'`` when
    it is running and ``force`` is not set (then nothing changes)."""
    reply = yield REMOVE(
        [keys.jobs, keys.inactive, keys.active, keys.delayed, keys.complete, keys.failed, keys.log(job_id),
         keys.events],
        [job_id, events_maxlen, 1 if force else 0],
    )
    return text(reply)


def move(
    keys: QueueKeys,
    events_maxlen: int,
    job_id: str,
    target: str,
    now: int,
    priority: int | None = None,
    *,
    reset_attempts: bool = False,
) -> Conversation[str]:
    """Move a job that is not running to ``target`` ('' keeps the state), optionally re-prioritised.

    ``reset_attempts`` gives the job all its attempts again (and forgets its stalls):
    a retry of a failed job.

    Returns the job's new state, ``'missing'``, or ``'active'`` when it is running.
    """
    reply = yield MOVE(
        [keys.jobs, keys.inactive, keys.active, keys.delayed, keys.complete, keys.failed, keys.events,
         keys.wake],
        [job_id, target, now, events_maxlen, "" if priority is None else priority, 1 if reset_attempts else 0],
    )
    return text(reply)


def counts(keys: QueueKeys) -> Conversation[dict[str, int]]:
    """How many jobs are in each state."""
    replies = yield Batch.of([("ZCARD", keys.state(s)) for s in STATES])
    return {s: int(n) for s, n in zip(STATES, replies, strict=True)}


def range_ids(keys: QueueKeys, state: str, start: int, stop: int, order: str) -> Conversation[list[str]]:
    """Ids in one state's index, by rank (``asc``: the order the index keeps)."""
    command = "ZRANGE" if order == "asc" else "ZREVRANGE"
    return [text(i) for i in (yield (command, keys.state(state), start, stop))]


def clean(keys: QueueKeys, state: str, cutoff: int, limit: int) -> Conversation[list[str]]:
    """Delete jobs of a finished state that ended at or before ``cutoff``; returns their ids."""
    ids = [text(i) for i in (yield CLEAN([keys.jobs, keys.state(state)], [cutoff, limit]))]
    if ids:
        yield ("DEL", *(keys.log(i) for i in ids))
    return ids


def set_paused(keys: QueueKeys, paused: bool) -> Conversation[None]:
    """Pause or resume the whole queue (every worker stops claiming while it is paused)."""
    yield ("HSET", keys.meta, "paused", "1" if paused else "0")
    if not paused:
        yield ("LPUSH", keys.wake, "1")


def is_paused(keys: QueueKeys) -> Conversation[bool]:
    """Whether the queue is paused."""
    return text((yield ("HGET", keys.meta, "paused"))) == "1"


def stats(keys: QueueKeys) -> Conversation[dict[str, int]]:
    """Counts per state, the ``completed_total`` and ``failed_total`` counters, and ``work_time`` (ms)."""
    replies = yield Batch.of([*(("ZCARD", keys.state(s)) for s in STATES), ("HGETALL", keys.stats)])
    totals = {k: int(v) for k, v in hash_reply(replies[-1]).items()}
    return {**{s: int(n) for s, n in zip(STATES, replies, strict=False)},
            "completed_total": totals.get("completed", 0), "failed_total": totals.get("failed", 0),
            "work_time": totals.get("work_time", 0)}


def names(keys: QueueKeys) -> Conversation[list[str]]:
    """The names of every queue under the keys' prefix (Kue's job types), sorted."""
    return sorted(text(n) for n in (yield ("SMEMBERS", keys.registry)))


def register_name(keys: QueueKeys) -> Conversation[None]:
    """List the queue's name among the queues (best effort: a cluster may refuse the other slot)."""
    with contextlib.suppress(redis.ResponseError):
        yield ("SADD", keys.registry, keys.name)


def eviction_policy() -> Conversation[str | None]:
    """The server's ``maxmemory-policy``, or None where ``CONFIG`` is refused (managed servers, the simulation)."""
    try:
        reply = yield ("CONFIG", "GET", "maxmemory-policy")
    except redis.ResponseError:
        return None
    return hash_reply(reply).get("maxmemory-policy") or None


def wait_for_work(keys: QueueKeys, timeout_s: float) -> Conversation[bool]:
    """Block up to ``timeout_s`` for the queue's wake marker (pushed when jobs arrive); True if one came.

    A blocking command: live drivers send it on a pooled connection; the
    simulation wakes its idle workers another way (a ``WakeBus``).
    """
    return bool((yield ("BLPOP", keys.wake, timeout_s)))
