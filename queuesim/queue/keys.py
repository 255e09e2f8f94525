"""Every Redis key of a queue, built in one place.

All keys of queue ``NAME`` share the hash tag ``{NAME}`` (``qs:{NAME}:...``),
so every Lua script touches one cluster slot and the queue runs unchanged on
Redis Cluster. The keys outside a queue's slot are shared by every queue under
the prefix and touched by no script: the set of queue names, and the worker
registry (``qs:workers`` and one ``qs:worker:<id>`` hash per live worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["QueueKeys"]


@dataclass(frozen=True, slots=True)
class QueueKeys:
    """The key names of one queue, built once (workers and scripts ask for them on every step)."""

    name: str
    prefix: str = "qs"
    #: String: the job id counter (INCR).
    id: str = field(init=False, repr=False, compare=False)
    #: Hash: job id -> the job's record (JSON).
    jobs: str = field(init=False, repr=False, compare=False)
    #: Sorted set: waiting jobs, score = priority then id (lower runs first).
    inactive: str = field(init=False, repr=False, compare=False)
    #: Sorted set: running jobs, score = lease deadline (ms).
    active: str = field(init=False, repr=False, compare=False)
    #: Sorted set: delayed jobs, score = when they become runnable (ms).
    delayed: str = field(init=False, repr=False, compare=False)
    #: Sorted set: completed jobs, score = when they finished (ms).
    complete: str = field(init=False, repr=False, compare=False)
    #: Sorted set: failed jobs, score = when they failed (ms).
    failed: str = field(init=False, repr=False, compare=False)
    #: Stream: every job event, trimmed to about ``events_maxlen`` entries.
    events: str = field(init=False, repr=False, compare=False)
    #: List: a marker that wakes one idle worker (BLPOP) when work arrives.
    wake: str = field(init=False, repr=False, compare=False)
    #: Hash: queue settings (paused) and the shared stall-check timer.
    meta: str = field(init=False, repr=False, compare=False)
    #: Hash: counters (completed, failed, total work time in ms).
    stats: str = field(init=False, repr=False, compare=False)
    #: Set: the names of all queues under this prefix (Kue's job types); not hash-tagged.
    registry: str = field(init=False, repr=False, compare=False)
    #: Sorted set: the ids of the workers under this prefix, score = their last heartbeat (ms).
    workers: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        base = f"{self.prefix}:{{{self.name}}}:"
        for part in ("id", "jobs", "inactive", "active", "delayed", "complete", "failed", "events",
                     "wake", "meta", "stats"):
            object.__setattr__(self, part, base + part)
        object.__setattr__(self, "registry", f"{self.prefix}:queues")
        object.__setattr__(self, "workers", f"{self.prefix}:workers")

    def _k(self, part: str) -> str:
        return f"{self.prefix}:{{{self.name}}}:{part}"

    def state(self, state: str) -> str:
        """Sorted set: the index of one state (inactive, active, delayed, complete, failed)."""
        return self._k(state)

    def log(self, job_id: str) -> str:
        """List: the log lines of one job."""
        return self._k(f"log:{job_id}")

    def worker(self, worker_id: str) -> str:
        """Hash: what one worker last said about itself; it expires when the worker stops beating."""
        return f"{self.prefix}:worker:{worker_id}"
