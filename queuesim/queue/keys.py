"""Every Redis key of a queue, built in one place.

All keys of queue ``NAME`` share the hash tag ``{NAME}`` (``qs:{NAME}:...``),
so every Lua script touches one cluster slot and the queue runs unchanged on
Redis Cluster. The one key outside a queue's slot is the set of queue names,
which no script touches.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QueueKeys"]


@dataclass(frozen=True, slots=True)
class QueueKeys:
    """The key names of one queue."""

    name: str
    prefix: str = "qs"

    def _k(self, part: str) -> str:
        return f"{self.prefix}:{{{self.name}}}:{part}"

    @property
    def id(self) -> str:
        """String: the job id counter (INCR)."""
        return self._k("id")

    @property
    def jobs(self) -> str:
        """Hash: job id -> the job's record (JSON)."""
        return self._k("jobs")

    @property
    def locks(self) -> str:
        """Hash: active job id -> the lease token of the worker running it."""
        return self._k("locks")

    def state(self, state: str) -> str:
        """Sorted set: the index of one state (inactive, active, delayed, complete, failed)."""
        return self._k(state)

    @property
    def inactive(self) -> str:
        """Sorted set: waiting jobs, score = priority then id (lower runs first)."""
        return self._k("inactive")

    @property
    def active(self) -> str:
        """Sorted set: running jobs, score = lease deadline (ms)."""
        return self._k("active")

    @property
    def delayed(self) -> str:
        """Sorted set: delayed jobs, score = when they become runnable (ms)."""
        return self._k("delayed")

    @property
    def complete(self) -> str:
        """Sorted set: completed jobs, score = when they finished (ms)."""
        return self._k("complete")

    @property
    def failed(self) -> str:
        """Sorted set: failed jobs, score = when they failed (ms)."""
        return self._k("failed")

    @property
    def events(self) -> str:
        """Stream: every job event, trimmed to about ``events_maxlen`` entries."""
        return self._k("events")

    @property
    def wake(self) -> str:
        """List: a marker that wakes one idle worker (BLPOP) when work arrives."""
        return self._k("wake")

    @property
    def meta(self) -> str:
        """Hash: queue settings (paused) and the shared stall-check timer."""
        return self._k("meta")

    @property
    def stats(self) -> str:
        """Hash: counters (completed, failed, total work time in ms)."""
        return self._k("stats")

    def log(self, job_id: str) -> str:
        """List: the log lines of one job."""
        return self._k(f"log:{job_id}")

    @property
    def registry(self) -> str:
        """Set: the names of all queues under this prefix (Kue's job types); not hash-tagged."""
        return f"{self.prefix}:queues"
