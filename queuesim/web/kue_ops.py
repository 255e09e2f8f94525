"""What Kue's JSON API reads and writes across queues, as conversations (no I/O, no HTTP).

Kue kept every job in one global id space; queuesim gives each queue its own
ids (``qs:{NAME}:id``), so these conversations look a job up by (queue, id),
or search every queue the registry knows when no queue is given. They build
on the queue's own conversations and keys; the web layer only maps their
results to HTTP.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from queuesim.drivers import Batch, Conversation, text
from queuesim.queue.conversations import STATES
from queuesim.queue.events import Event, history, parse_entry
from queuesim.queue.keys import QueueKeys
from queuesim.queue.overview import overview

__all__ = [
    "STATS_SAMPLE",
    "Found",
    "find_job",
    "list_jobs",
    "percentiles",
    "queue_exists",
    "queue_names",
    "read_events",
    "ready_at",
    "stats",
    "stream_cursors",
    "timeline",
]

#: How many of the most recent complete jobs per queue the wait/processing percentiles use.
STATS_SAMPLE = 1000
_QUANTILES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99))


@dataclass(frozen=True, slots=True)
class Found:
    """A job record and the queue it belongs to."""

    type: str
    record: dict[str, Any]


def _registry(prefix: str) -> str:
    return QueueKeys("_", prefix).registry


def queue_names(prefix: str) -> Conversation[list[str]]:
    """The names of every queue under ``prefix`` (Kue's job types), sorted."""
    return sorted(text(n) for n in (yield ("SMEMBERS", _registry(prefix))))


def queue_exists(prefix: str, name: str) -> Conversation[bool]:
    """Whether ``name`` is a queue: registered (``Queue`` registers its name beside its
    first job; ``POST /job`` does too), or holding jobs (the registry is best effort)."""
    registered, has_jobs = yield Batch.of(
        [("SISMEMBER", _registry(prefix), name), ("EXISTS", QueueKeys(name, prefix).jobs)])
    return bool(int(registered)) or bool(int(has_jobs))


def find_job(prefix: str, job_id: str, type: str | None = None) -> Conversation[list[Found]]:
    """The job ``job_id`` of queue ``type``, or of every known queue that has one with this id.

    Returns every match (none, one, or several when ``type`` is not given and
    several queues have a job with this id).
    """
    names = [type] if type is not None else (yield from queue_names(prefix))
    if not names:
        return []
    raws = yield Batch.of([("HGET", QueueKeys(name, prefix).jobs, job_id) for name in names])
    return [Found(name, dict(json.loads(raw))) for name, raw in zip(names, raws, strict=True) if raw is not None]


def _pairs(reply: Sequence[Any]) -> list[tuple[str, float]]:
    """(member, score) pairs from a ``ZRANGE ... WITHSCORES`` reply, flat or paired."""
    if reply and isinstance(reply[0], list | tuple):
        return [(text(m), float(s)) for m, s in reply]
    return [(text(reply[i]), float(reply[i + 1])) for i in range(0, len(reply), 2)]


def list_jobs(
    prefix: str, names: Sequence[str], state: str, start: int, stop: int, order: str
) -> Conversation[list[Found]]:
    """Jobs in ``state`` ranked ``start..stop`` (inclusive) over the queues ``names``.

    With one queue this is that queue's index order. Over several, the indexes
    are merged by score (inactive: priority then id; delayed: when due; active:
    lease deadline; complete, failed: when they ended), ties by queue name then id.
    """
    reverse = order == "desc"
    if len(names) == 1:
        command = "ZREVRANGE" if reverse else "ZRANGE"
        ids = [text(i) for i in (yield (command, QueueKeys(names[0], prefix).state(state), start, stop))]
        picked = [(names[0], i) for i in ids]
    elif names:
        command = "ZREVRANGE" if reverse else "ZRANGE"
        replies = yield Batch.of(
            [(command, QueueKeys(n, prefix).state(state), 0, stop, "WITHSCORES") for n in names]
        )
        merged = [(score, name, member) for name, reply in zip(names, replies, strict=True)
                  for member, score in _pairs(reply)]
        merged.sort(key=lambda t: (t[0], t[1], int(t[2])), reverse=reverse)
        picked = [(name, member) for _, name, member in merged[start:stop + 1]]
    else:
        picked = []
    if not picked:
        return []
    wanted: dict[str, list[str]] = {}
    for name, job_id in picked:
        wanted.setdefault(name, []).append(job_id)
    order_of = list(wanted)
    replies = yield Batch.of([("HMGET", QueueKeys(n, prefix).jobs, *wanted[n]) for n in order_of])
    records = {
        (name, job_id): raw
        for name, reply in zip(order_of, replies, strict=True)
        for job_id, raw in zip(wanted[name], reply, strict=True)
    }
    # a job removed between the two round trips is simply left out
    return [Found(name, dict(json.loads(records[(name, i)]))) for name, i in picked if records[(name, i)]]


def ready_at(record: dict[str, Any]) -> int:
    """When the job's last run became runnable: created, due after a delay or backoff, or retried."""
    return max(int(record.get(k) or 0) for k in ("created_at", "promote_at", "failed_at"))


def percentiles(values: Iterable[float]) -> dict[str, Any]:
    """``count``, ``p50``, ``p90``, ``p99`` (nearest rank) and ``max`` of ``values``; None when empty."""
    ordered = sorted(values)
    n = len(ordered)
    out: dict[str, Any] = {"count": n}
    for name, q in _QUANTILES:
        out[name] = ordered[max(0, math.ceil(q * n) - 1)] if n else None
    out["max"] = ordered[-1] if n else None
    return out


def _timings(records: Iterable[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    waits: list[int] = []
    runs: list[int] = []
    for raw in records:
        if raw is None:
            continue
        record = json.loads(raw)
        started, finished = record.get("started_at"), record.get("finished_at")
        if started is None or finished is None:
            continue
        waits.append(max(0, int(started) - ready_at(record)))
        runs.append(max(0, int(finished) - int(started)))
    return percentiles(waits), percentiles(runs)


def _counts_camel(counts: dict[str, int]) -> dict[str, int]:
    return {f"{state}Count": counts[state] for state in STATES}


def stats(prefix: str, now: int, sample: int = STATS_SAMPLE) -> Conversation[dict[str, Any]]:
    """Kue's ``/stats`` (counts per state over every queue and ``workTime``) plus, per queue,
    its counts, paused flag, totals, live workers, completions over the last minute, and wait and
    processing time percentiles (ms) of its ``sample`` most recent complete jobs."""
    seen = yield from overview(prefix, now)
    queues: dict[str, dict[str, Any]] = {}
    for q in seen.queues:
        queues[q.name] = {
            **_counts_camel(q.counts),
            "workTime": q.work_time_ms,
            "completedTotal": q.completed_total,
            "failedTotal": q.failed_total,
            "paused": q.paused,
            "workers": q.workers,
            "completedLastMinute": q.completed_last_minute,
        }
    names = [q.name for q in seen.queues if q.counts["complete"]]
    recent = (yield Batch.of([("ZREVRANGE", QueueKeys(n, prefix).complete, 0, sample - 1) for n in names])) \
        if names else []
    lookups = [(name, [text(i) for i in ids]) for name, ids in zip(names, recent, strict=True) if ids]
    records = (yield Batch.of([("HMGET", QueueKeys(name, prefix).jobs, *ids) for name, ids in lookups])) \
        if lookups else []
    timings = {name: _timings(reply) for (name, _), reply in zip(lookups, records, strict=True)}
    for name, entry in queues.items():
        wait, processing = timings.get(name, (percentiles(()), percentiles(())))
        entry["wait"] = wait
        entry["processing"] = processing
    overall = {f"{s}Count": sum(q[f"{s}Count"] for q in queues.values()) for s in STATES}
    return {**overall, "workTime": sum(q["workTime"] for q in queues.values()), "queues": queues}


def _event_json(type: str, event: Event) -> dict[str, Any]:
    return {"type": type, "id": event.job_id, "event": event.name, "args": list(event.args),
            "at": event.at, "stream_id": event.stream_id}


def timeline(prefix: str, type: str, job_id: str) -> Conversation[list[dict[str, Any]]]:
    """The events of one job still in its queue's stream, oldest first (the queue's own ``history``)."""
    return [_event_json(type, e) for e in (yield from history(QueueKeys(type, prefix), job_id, None))]


def stream_cursors(prefix: str, names: Sequence[str]) -> Conversation[dict[str, str]]:
    """The id of the newest event in each queue's stream (``0-0`` when it is empty)."""
    if not names:
        return {}
    replies = yield Batch.of([("XREVRANGE", QueueKeys(n, prefix).events, "+", "-", "COUNT", 1) for n in names])
    return {n: (text(r[0][0]) if r else "0-0") for n, r in zip(names, replies, strict=True)}


def read_events(
    prefix: str, cursors: dict[str, str], block_ms: int, count: int = 1000
) -> Conversation[list[dict[str, Any]]]:
    """Events after ``cursors`` (queue name -> stream id), waiting up to ``block_ms`` for one.

    Updates ``cursors`` in place to the last event read from each stream.
    """
    if not cursors:
        return []
    names = list(cursors)
    by_key = {QueueKeys(n, prefix).events: n for n in names}
    reply = yield ("XREAD", "COUNT", count, "BLOCK", block_ms, "STREAMS", *by_key, *(cursors[n] for n in names))
    streams = reply.items() if isinstance(reply, dict) else (reply or ())
    events: list[dict[str, Any]] = []
    for key, entries in streams:
        name = by_key[text(key)]
        for entry_id, fields in entries:
            events.append(_event_json(name, parse_entry(entry_id, fields)))
            cursors[name] = text(entry_id)
    return events
