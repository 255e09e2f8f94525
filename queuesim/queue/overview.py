"""What runs, read from Redis in one go: every queue's counts, totals and recent rates, and the live workers.

One conversation, :func:`overview`, feeds ``queuesim info``, the dashboard's
workers view and its ``/metrics``: whatever the number of worker processes,
the figures come from Redis at the moment they are asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from queuesim.drivers import Batch, Conversation, hash_reply, text
from queuesim.queue import registry
from queuesim.queue.conversations import STATES, names
from queuesim.queue.keys import QueueKeys
from queuesim.queue.registry import RegisteredWorker

__all__ = ["RATE_WINDOW_MS", "Overview", "QueueFigures", "overview"]

#: The window the rates are counted over (ms).
RATE_WINDOW_MS = 60_000


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """One queue, as Redis holds it now."""

    name: str
    #: jobs per state (inactive, active, complete, failed, delayed)
    counts: dict[str, int]
    paused: bool
    #: runs completed, and jobs failed for good, since the queue began
    completed_total: int
    failed_total: int
    #: the handlers' time over every finished run (ms)
    work_time_ms: int
    #: jobs that completed / failed for good in the last :data:`RATE_WINDOW_MS` (still in the queue:
    #: jobs removed on completion are not counted here)
    completed_last_minute: int
    failed_last_minute: int
    #: live workers on this queue
    workers: int = 0

    @property
    def waiting(self) -> int:
        """Jobs waiting to run (inactive)."""
        return self.counts["inactive"]


@dataclass(frozen=True, slots=True)
class Overview:
    """Every queue and every live worker under one key prefix, at one moment."""

    prefix: str
    #: when it was read (ms)
    at: int
    queues: list[QueueFigures] = field(default_factory=list)
    workers: list[RegisteredWorker] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "prefix": self.prefix,
            "at": self.at,
            "queues": [{**asdict(q), "per_second": round(q.completed_last_minute / (RATE_WINDOW_MS / 1000), 3)}
                       for q in self.queues],
            # runs_completed / runs_failed say what the workers' completed / failed count (kept for scripts)
            "workers": [{**w.to_dict(), "runs_completed": w.completed, "runs_failed": w.failed}
                        for w in self.workers],
        }


def overview(prefix: str, now: int) -> Conversation[Overview]:
    """Every queue under ``prefix`` (counts, paused, totals, rates over the last minute) and the live workers."""
    queue_names = yield from names(QueueKeys("_", prefix))
    workers = yield from registry.live_workers(QueueKeys("_", prefix))
    steps: list[Any] = []
    since = now - RATE_WINDOW_MS
    for name in queue_names:
        keys = QueueKeys(name, prefix)
        steps += [("ZCARD", keys.state(s)) for s in STATES]
        steps += [("HGETALL", keys.stats), ("HGET", keys.meta, "paused"),
                  ("ZCOUNT", keys.complete, f"({since}", "+inf"), ("ZCOUNT", keys.failed, f"({since}", "+inf")]
    replies = (yield Batch.of(steps)) if steps else []
    per = len(STATES) + 4
    by_queue: dict[str, int] = {}
    for w in workers:
        by_queue[w.queue] = by_queue.get(w.queue, 0) + 1
    queues = []
    for n, name in enumerate(queue_names):
        part = replies[n * per:(n + 1) * per]
        totals = {k: int(v) for k, v in hash_reply(part[len(STATES)]).items()}
        queues.append(QueueFigures(
            name=name,
            counts={s: int(c) for s, c in zip(STATES, part, strict=False)},
            paused=part[len(STATES) + 1] is not None and text(part[len(STATES) + 1]) == "1",
            completed_total=totals.get("completed", 0),
            failed_total=totals.get("failed", 0),
            work_time_ms=totals.get("work_time", 0),
            completed_last_minute=int(part[len(STATES) + 2]),
            failed_last_minute=int(part[len(STATES) + 3]),
            workers=by_queue.get(name, 0),
        ))
    return Overview(prefix, now, queues, workers)
