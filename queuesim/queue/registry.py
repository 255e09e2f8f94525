"""The worker registry: which workers run, on which queue, which jobs, since when.

A running worker beats every ``heartbeat_ms``: it writes what it is doing into
its own hash ``qs:worker:<id>``, which expires ``3 × heartbeat_ms`` later unless
the next beat renews it, and stamps its id in the sorted set ``qs:workers``. A
worker that stops cleanly removes both; one that is killed simply stops
beating, so its hash expires and readers drop it (RQ keeps its workers the same
way). Readers (``queuesim info``, the dashboard, ``/metrics``) see only live
workers.

A heartbeat says who is alive; which jobs a worker runs *now* is read from the
queue itself when the registry is read: each running job's record holds the
lease token of the worker that claimed it (``<worker id>.<run>``) and when its
run started. (The jobs listed in the last beat could be up to a heartbeat old:
jobs of a few milliseconds would show as running for seconds.) The counts of
runs done and failed are as of the last beat.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from queuesim.drivers import Batch, Conversation, hash_reply, text
from queuesim.queue.keys import QueueKeys

__all__ = ["RUNNING_SHOWN", "WORKER_TTL_BEATS", "RegisteredWorker", "heartbeat", "live_workers", "unregister"]

#: A worker's entry lives this many heartbeat intervals after its last beat.
WORKER_TTL_BEATS = 3
#: At most this many running jobs per queue are looked up to show who runs what.
RUNNING_SHOWN = 1000


@dataclass(frozen=True, slots=True)
class RegisteredWorker:
    """What a worker last said about itself."""

    id: str
    queue: str
    host: str
    pid: int
    #: ``threads``, ``asyncio`` or ``processes`` (a child process per job)
    kind: str
    concurrency: int
    #: ``idle``, ``busy``, ``paused`` or ``stopping``
    state: str
    #: when it started and when it last beat (ms)
    started_at: int
    beat_at: int
    #: runs it has finished since it started
    completed: int
    failed: int
    #: the jobs it is running: (job id, started at ms)
    jobs: tuple[tuple[str, int], ...] = field(default=())
    handler: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``jobs`` as a list of ``{"id", "started_at"}``)."""
        out = asdict(self)
        out["jobs"] = [{"id": job_id, "started_at": since} for job_id, since in self.jobs]
        return out


def heartbeat(
    keys: QueueKeys, worker_id: str, now: int, ttl_ms: int, about: Mapping[str, Any],
    jobs: Sequence[tuple[str, int]],
) -> Conversation[None]:
    """Write the worker's entry (``about`` plus its running ``jobs``), valid for ``ttl_ms``.

    A non-atomic batch (the keys are in different cluster slots): a reader that
    sees the id without the hash just skips it.
    """
    key = keys.worker(worker_id)
    fields = {k: str(v) for k, v in about.items()}
    fields.update(id=worker_id, queue=keys.name, beat_at=str(now),
                  jobs=json.dumps([[job_id, since] for job_id, since in jobs]))
    flat = [part for pair in fields.items() for part in pair]
    yield Batch.of([("HSET", key, *flat), ("PEXPIRE", key, ttl_ms), ("ZADD", keys.workers, now, worker_id)])


def unregister(keys: QueueKeys, worker_id: str) -> Conversation[None]:
    """Remove the worker's entry (it stops)."""
    yield Batch.of([("DEL", keys.worker(worker_id)), ("ZREM", keys.workers, worker_id)])


def _entry(fields: dict[str, str]) -> RegisteredWorker | None:
    try:
        return RegisteredWorker(
            id=fields["id"], queue=fields["queue"], host=fields.get("host", ""), pid=int(fields.get("pid", 0)),
            kind=fields.get("kind", ""), concurrency=int(fields.get("concurrency", 0)),
            state=fields.get("state", ""), started_at=int(fields.get("started_at", 0)),
            beat_at=int(fields["beat_at"]), completed=int(fields.get("completed", 0)),
            failed=int(fields.get("failed", 0)),
            jobs=tuple((str(i), int(t)) for i, t in json.loads(fields.get("jobs", "[]"))),
            handler=fields.get("handler", ""),
        )
    except (KeyError, ValueError, TypeError):  # a half-written or foreign entry: not a worker we can show
        return None


def live_workers(keys: QueueKeys) -> Conversation[list[RegisteredWorker]]:
    """The workers under the keys' prefix whose entry has not expired, by queue then id.

    Ids whose entry expired (their worker was killed) are dropped from the set.
    """
    ids = [text(i) for i in (yield ("ZRANGE", keys.workers, 0, -1))]
    if not ids:
        return []
    replies = yield Batch.of([("HGETALL", keys.worker(i)) for i in ids])
    found: list[RegisteredWorker] = []
    gone: list[str] = []
    for worker_id, reply in zip(ids, replies, strict=True):
        entry = _entry(hash_reply(reply)) if reply else None
        if entry is None:
            gone.append(worker_id)
        else:
            found.append(entry)
    if gone:
        yield ("ZREM", keys.workers, *gone)
    if found:
        running = yield from _running(keys.prefix, sorted({w.queue for w in found}))
        found = [_now_running(w, running.get(w.id, [])) for w in found]
    return sorted(found, key=lambda w: (w.queue, w.id))


def _running(prefix: str, queues: Sequence[str]) -> Conversation[dict[str, list[tuple[str, int]]]]:
    """The jobs running now on ``queues``, by the id of the worker holding their lease: (job id, started at ms)."""
    every = [QueueKeys(name, prefix) for name in queues]
    ids = yield Batch.of([("ZRANGE", k.active, 0, RUNNING_SHOWN - 1) for k in every])
    lookups = [(k, [text(i) for i in found]) for k, found in zip(every, ids, strict=True) if found]
    if not lookups:
        return {}
    records = yield Batch.of([("HMGET", k.jobs, *job_ids) for k, job_ids in lookups])
    by_worker: dict[str, list[tuple[str, int]]] = {}
    for (_, job_ids), raws in zip(lookups, records, strict=True):
        for job_id, raw in zip(job_ids, raws, strict=True):
            try:
                record = json.loads(raw)
                holder = str(record["token"]).rpartition(".")[0]
                started = int(record["started_at"])
            except (TypeError, ValueError, KeyError):  # removed meanwhile, or not (yet) a claimed record
                continue
            by_worker.setdefault(holder, []).append((job_id, started))
    return by_worker


def _now_running(worker: RegisteredWorker, jobs: list[tuple[str, int]]) -> RegisteredWorker:
    """The worker with the jobs it runs now (oldest first); ``busy``/``idle`` follow them."""
    state = worker.state
    if state in ("busy", "idle"):
        state = "busy" if jobs else "idle"
    return replace(worker, jobs=tuple(sorted(jobs, key=lambda job: (job[1], job[0]))), state=state)
