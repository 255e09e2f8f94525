"""The worker's logic, without I/O: when to claim, report, renew, beat, time out and stop.

A worker is a loop that talks to Redis, starts handlers and waits. Here it is
one conversation, :meth:`Dispatcher.steps`: it yields Redis steps like any
conversation, and three *effects* for the program that runs it:

* :class:`Start` — start the handler for this run (a thread, a task, a child
  process, or a SimPy process); when it ends, call :meth:`Dispatcher.finished`;
* :class:`Wait` — wait up to ``seconds``, or less if :meth:`Dispatcher.finished`,
  :meth:`Dispatcher.work_arrived` or a stop comes meanwhile;
* :class:`Abandon` — the run's outcome is decided without its handler (its TTL
  passed, or the worker stops): its slot is free already; stop the handler if
  you can (kill its child process, cancel its task) or stop waiting for it
  (the thread worker replaces the thread it leaves behind).

So there is one drive loop, the driver's own: ``SyncDriver.run`` in the thread
worker, ``AsyncDriver.run`` in the asyncio worker, ``SimDriver.run`` in virtual
time; each shell only answers the effects. All times come from the queue's
clock (ms), so virtual time drives it as well.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from queuesim.drivers import Effect, Routine
from queuesim.queue import conversations as conv
from queuesim.queue import registry
from queuesim.queue.conversations import ClaimedJob, FetchResult, Outcome
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import BackoffFunction, backoff_delay, encode_json
from queuesim.queue.outage import RETRYABLE, Outage

__all__ = [
    "RETRYABLE",
    "Abandon",
    "Dispatcher",
    "Run",
    "Start",
    "Wait",
    "WorkerOptions",
    "WorkerSettings",
    "WorkerShell",
    "WorkerStats",
    "default_worker_id",
    "error_message",
    "fail_outcome",
    "log_end",
    "log_start",
    "result_outcome",
]

log = logging.getLogger("queuesim.worker")


@dataclass(frozen=True, slots=True)
class Start(Effect):
    """Start the handler for ``run``; report its end with :meth:`Dispatcher.finished`."""

    run: Run


@dataclass(frozen=True, slots=True)
class Wait(Effect):
    """Wait up to ``seconds`` or until the dispatcher is notified."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Abandon(Effect):
    """``run``'s outcome is decided without its handler: stop the handler if possible, free what it holds."""

    run: Run
    #: ``ttl`` (it ran too long: failed) or ``shutdown`` (the worker stops: given back)
    reason: str


@dataclass
class WorkerStats:
    """What a worker has done since it started."""

    #: jobs claimed
    claimed: int = 0
    #: runs that completed
    completed: int = 0
    #: runs that failed (retried or not)
    failed: int = 0
    #: runs given back to ``inactive`` at shutdown
    requeued: int = 0
    #: outcomes refused because the lease had been lost (the job was recovered elsewhere)
    lost: int = 0
    #: Redis round trips made by the dispatcher
    round_trips: int = 0
    #: times the worker lost Redis (each outage counts once, however long)
    outages: int = 0


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """A worker's knobs (see :class:`~queuesim.Worker` for their meaning)."""

    concurrency: int = 1
    lease_ms: int = 30_000
    stall_interval_ms: int = 5_000
    max_stalls: int = 3
    poll_interval: float = 1.0
    shutdown_timeout: float = 10.0
    heartbeat_ms: int = 5_000

    def __post_init__(self) -> None:
        for label, low in (("concurrency", 1), ("lease_ms", 1), ("stall_interval_ms", 1), ("max_stalls", 0),
                           ("heartbeat_ms", 1)):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
        if not self.poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0, got {self.poll_interval!r}")
        if not self.shutdown_timeout >= 0:
            raise ValueError(f"shutdown_timeout must be >= 0, got {self.shutdown_timeout!r}")


@dataclass(eq=False, slots=True)
class Run:
    """One claimed job being run by this worker."""

    claimed: ClaimedJob
    #: when the run must end (queue clock, ms), from the job's TTL
    ttl_deadline: int | None
    #: the outcome was already decided (TTL, shutdown): ignore what the handler returns
    abandoned: bool = False
    #: when the worker claimed it (queue clock, ms)
    started: int = 0


def error_message(exc: BaseException) -> str:
    """The message stored for a failed run."""
    text = str(exc)
    if isinstance(exc, Exception):
        return text or type(exc).__name__
    # SystemExit, KeyboardInterrupt...: say what it was, the handler did not just "fail"
    return f"handler raised {type(exc).__name__}" + (f": {text}" if text else "")


def fail_outcome(
    claimed: ClaimedJob, message: str, stacktrace: str, strategies: Mapping[str, BackoffFunction]
) -> Outcome:
    """A ``fail`` outcome, with the retry delay the job's backoff asks for."""
    delay = 0
    if claimed.attempts < claimed.max_attempts and claimed.backoff:
        try:
            delay = backoff_delay(json.loads(claimed.backoff), claimed.attempts, message, strategies)
        except Exception as exc:  # a broken backoff must not lose the job: retry at once
            log.error("backoff of job %s failed (%s); retrying without delay", claimed.id, exc)
    return Outcome(claimed.id, claimed.token, "fail", message, stacktrace, delay)


def result_outcome(claimed: ClaimedJob, result: Any) -> Outcome:
    """A ``complete`` outcome; raises TypeError when the result is not JSON data."""
    return Outcome(claimed.id, claimed.token, "complete", encode_json(result, f"the result of job {claimed.id}"))


# ---------------------------------------------------------------------- one log line per job
def log_start(queue: str, claimed: ClaimedJob) -> None:
    """The INFO line a job's start writes (``queuesim worker`` shows them; libraries stay quiet)."""
    if log.isEnabledFor(logging.INFO):
        log.info("job %s of %s started (attempt %d of %d)", claimed.id, queue, claimed.attempts,
                 claimed.max_attempts,
                 extra={"job": claimed.id, "queue": queue, "attempt": claimed.attempts, "event": "start"})


def log_end(queue: str, claimed: ClaimedJob, outcome: Outcome, seconds: float) -> None:
    """The INFO line a job's end writes: complete or failed, with its duration and attempt."""
    if not log.isEnabledFor(logging.INFO):
        return
    ms = seconds * 1000
    extra = {"job": claimed.id, "queue": queue, "attempt": claimed.attempts, "duration_ms": round(ms, 3)}
    if outcome.kind == "complete":
        log.info("job %s of %s complete in %.1f ms (attempt %d of %d)", claimed.id, queue, ms, claimed.attempts,
                 claimed.max_attempts, extra={**extra, "event": "complete"})
    else:
        then = "will retry" if claimed.attempts < claimed.max_attempts else "no attempts left"
        log.info("job %s of %s failed in %.1f ms (attempt %d of %d, %s): %s", claimed.id, queue, ms,
                 claimed.attempts, claimed.max_attempts, then, outcome.payload,
                 extra={**extra, "event": "failed", "error": outcome.payload})


class Dispatcher:
    """The state and the loop of one worker (see the module docstring).

    Args:
        keys: the queue's keys.
        events_maxlen: the queue's event stream length.
        clock: the queue clock (ms).
        settings: the worker's knobs.
        worker_id: the worker's id (lease tokens, the registry).
        backoff_strategies: custom backoff functions by name.
        about: what the worker registry shows of this worker (host, pid, kind, handler...);
            None keeps the worker out of the registry (no heartbeats).
    """

    def __init__(
        self,
        keys: QueueKeys,
        events_maxlen: int,
        clock: Callable[[], int],
        settings: WorkerSettings,
        worker_id: str,
        backoff_strategies: Mapping[str, BackoffFunction],
        about: Mapping[str, Any] | None = None,
    ) -> None:
        self.keys = keys
        self.events_maxlen = events_maxlen
        self.now = clock
        self.settings = settings
        self.worker_id = worker_id
        self.backoff_strategies = backoff_strategies
        self.about = None if about is None else dict(about)
        self.stats = WorkerStats()
        self.runs: dict[str, Run] = {}
        self.paused = False
        #: when the graceful stop gives up waiting (ms), or None while running
        self.stop_at: int | None = None
        #: whether the worker can reach Redis (one log line when lost, one when back)
        self.outage = Outage(f"worker {worker_id}", clock=lambda: self.now() / 1000)
        self._done: deque[tuple[Run, Outcome]] = deque()
        self._pending: list[Outcome] = []
        self._marker = False

    # ------------------------------------------------------------------ notifications (any thread)
    def finished(self, run: Run, outcome: Outcome) -> None:
        """A handler ended; its outcome is reported on the next round trip (ended now, unless it says)."""
        if outcome.ended_at < 0:
            outcome.ended_at = self.now()
        self._done.append((run, outcome))

    def work_arrived(self) -> None:
        """The wake list said there is work: claim on the next turn."""
        self._marker = True

    def stop(self, timeout_s: float) -> None:
        """Claim nothing more; give running jobs back after ``timeout_s``."""
        deadline = self.now() + int(timeout_s * 1000)
        self.stop_at = deadline if self.stop_at is None else min(self.stop_at, deadline)

    def free_slots(self) -> int:
        """How many more jobs this worker would claim now."""
        if self.stop_at is not None or self.paused:
            return 0
        return self.settings.concurrency - len(self.runs)

    # ------------------------------------------------------------------ the loop
    def steps(self, burst: bool = False) -> Routine[None]:
        """The worker's loop as a conversation; ends on stop, or in burst mode when nothing is left."""
        s = self.settings
        maybe_more = True
        next_due: int | None = None
        last_renew = self.now()
        renew_every = max(1, s.lease_ms // 3)
        beat_at = self.now()  # the first beat registers the worker
        if self.about is not None:
            self.about["started_at"] = beat_at
        while True:
            outcomes = self._drain()
            now = self.now()
            yield from self._expire_ttl(outcomes, now)
            if self.stop_at is not None and now >= self.stop_at:
                yield from self._give_back(outcomes)
            if self._marker:
                self._marker = False
                maybe_more = True
            free = self.free_slots()
            if burst and not self.runs:
                maybe_more = True  # look again: burst mode ends only on an empty answer
            due = next_due is not None and now >= next_due  # delayed jobs to promote, or the stall check
            if outcomes or due or (free > 0 and maybe_more):
                try:
                    codes, fetched = yield from conv.fetch_and_finish(
                        self.keys, self.events_maxlen, now, outcomes, free, lease_ms=s.lease_ms,
                        token_prefix=self.worker_id, stall_interval_ms=s.stall_interval_ms,
                        max_stalls=s.max_stalls,
                    )
                except RETRYABLE as exc:
                    self._pending = outcomes  # nothing was applied: report them again
                    maybe_more = True
                    yield Wait(self._lost(exc))
                    continue
                self.outage.back()
                self._pending = []
                self._account(outcomes, codes)
                for run in self._admit(fetched):
                    yield Start(run)
                next_due = fetched.next_due
                maybe_more = free > 0 and len(fetched.jobs) == free
                if burst and not fetched.jobs and not self.runs and not self._done \
                        and fetched.inactive == 0 and fetched.delayed == 0:
                    yield from self._unregister()
                    return
            if self.runs and self.now() - last_renew >= renew_every:
                yield from self._renew()
                last_renew = self.now()
            if self.about is not None and self.now() >= beat_at:
                yield from self._beat()
                beat_at = self.now() + s.heartbeat_ms
            if self.stop_at is not None and not self.runs and not self._done:
                yield from self._unregister()
                return
            if self.free_slots() > 0 and maybe_more:
                continue
            due_at = [next_due] if next_due is not None else []
            if self.runs:
                due_at.append(last_renew + renew_every)
            if self.about is not None:
                due_at.append(beat_at)
            yield Wait(self._timeout(due_at))

    def _lost(self, exc: BaseException) -> float:
        """Redis failed a call: mark the outage (logged once); the seconds to wait before the next try."""
        if not self.outage.ongoing:
            self.stats.outages += 1
        return self.outage.lost(exc)

    def _account(self, outcomes: list[Outcome], codes: list[bool]) -> None:
        self.stats.round_trips += 1
        for outcome, applied in zip(outcomes, codes, strict=True):
            if not applied:
                self.stats.lost += 1
            elif outcome.kind == "complete":
                self.stats.completed += 1
            elif outcome.kind == "fail":
                self.stats.failed += 1
            else:
                self.stats.requeued += 1

    def _admit(self, fetched: FetchResult) -> list[Run]:
        now = self.now()
        admitted = []
        for claimed in fetched.jobs:
            run = Run(claimed, now + claimed.ttl if claimed.ttl > 0 else None, False, now)
            self.runs[claimed.id] = run
            self.stats.claimed += 1
            admitted.append(run)
        return admitted

    def _drain(self) -> list[Outcome]:
        outcomes = list(self._pending)
        while self._done:
            run, outcome = self._done.popleft()
            if self.runs.get(run.claimed.id) is run:
                del self.runs[run.claimed.id]
            if not run.abandoned:
                outcomes.append(outcome)
        return outcomes

    def _expire_ttl(self, outcomes: list[Outcome], now: int) -> Routine[None]:
        """Fail the runs past their TTL and free their slots at once (their handlers are abandoned)."""
        expired = [r for r in self.runs.values()
                   if r.ttl_deadline is not None and not r.abandoned and now >= r.ttl_deadline]
        for run in expired:
            run.abandoned = True
            del self.runs[run.claimed.id]  # the slot runs the next job; the handler's result will be ignored
            outcome = fail_outcome(run.claimed, "TTL exceeded", "", self.backoff_strategies)
            outcome.ended_at = run.ttl_deadline if run.ttl_deadline is not None else now
            outcomes.append(outcome)
            log.warning("job %s of %s exceeded its TTL of %d ms; failed, and its slot is free",
                        run.claimed.id, self.keys.name, run.claimed.ttl)
            yield Abandon(run, "ttl")

    def _give_back(self, outcomes: list[Outcome]) -> Routine[None]:
        for job_id, run in list(self.runs.items()):
            del self.runs[job_id]  # its handler may still be busy; the job is no longer ours
            if not run.abandoned:
                run.abandoned = True
                outcomes.append(Outcome(job_id, run.claimed.token, "requeue"))
                yield Abandon(run, "shutdown")

    def _renew(self) -> Routine[None]:
        leases = [(i, r.claimed.token) for i, r in self.runs.items() if not r.abandoned]
        try:
            lost = yield from conv.renew(self.keys, self.now() + self.settings.lease_ms, leases)
        except RETRYABLE as exc:
            self._lost(exc)
            return
        self.outage.back()
        self.stats.round_trips += 1
        for job_id in lost:
            log.warning("worker %s lost the lease of job %s; its outcome will be ignored", self.worker_id, job_id)

    def _beat(self) -> Routine[None]:
        """Tell the worker registry what this worker is doing (and that it is alive)."""
        assert self.about is not None
        state = ("stopping" if self.stop_at is not None else "paused" if self.paused
                 else "busy" if self.runs else "idle")
        about = {**self.about, "state": state, "completed": self.stats.completed, "failed": self.stats.failed}
        jobs = [(job_id, run.started) for job_id, run in self.runs.items()]
        try:
            yield from registry.heartbeat(self.keys, self.worker_id, self.now(),
                                          registry.WORKER_TTL_BEATS * self.settings.heartbeat_ms, about, jobs)
        except RETRYABLE as exc:
            self._lost(exc)
            return
        self.outage.back()  # an idle worker's beats may be all it sends: they end an outage too

    def _unregister(self) -> Routine[None]:
        if self.about is None:
            return
        try:
            yield from registry.unregister(self.keys, self.worker_id)
        except RETRYABLE as exc:  # its entry expires by itself
            log.debug("worker %s could not leave the registry: %s", self.worker_id, exc)

    def _timeout(self, due_at: list[int]) -> float:
        """Seconds until the first thing due: a poll, ``due_at`` (delayed jobs, renewal, heartbeat), a TTL, the stop."""
        now = self.now()
        deadlines = [now + int(self.settings.poll_interval * 1000), *due_at]
        if self.runs:
            deadlines += [r.ttl_deadline for r in self.runs.values() if r.ttl_deadline and not r.abandoned]
        if self.stop_at is not None:
            deadlines.append(self.stop_at)
        return max(0.0, (min(deadlines) - now) / 1000)


class WorkerOptions(TypedDict, total=False):
    """The keyword arguments every worker takes (see :class:`WorkerShell`)."""

    concurrency: int
    lease_ms: int
    stall_interval_ms: int
    max_stalls: int
    poll_interval: float
    shutdown_timeout: float
    heartbeat_ms: int
    name: str | None
    isolation: str
    register: bool


#: How a worker runs its handlers: ``thread`` (or an asyncio task), or ``process`` (a child per job).
ISOLATIONS = ("thread", "process")


class WorkerShell:
    """What the thread and asyncio workers share: arguments, the dispatcher, and the controls.

    Subclasses answer the dispatcher's effects and implement :meth:`_notify`
    (wake their waiting loop).

    Args:
        queue: the queue to work on (``Queue`` or ``AsyncQueue``).
        handler: the job handler.
        concurrency: how many jobs run at once.
        lease_ms: how long a claimed job stays ours without renewal; renewed every third of it.
        stall_interval_ms: how often (shared by all workers) expired leases are looked for.
        max_stalls: how many lost leases a job survives before it is failed.
        poll_interval: seconds between checks when idle (an idle worker wakes at once on new work).
        shutdown_timeout: seconds :meth:`stop` waits for running jobs before requeueing them.
        heartbeat_ms: how often the worker tells the worker registry it is alive (its entry
            expires after three missed beats).
        name: the worker's id in lease tokens and the registry; default host:pid:random.
        isolation: ``"thread"`` runs the handler in the worker's process; ``"process"`` runs
            each job in a child process that is killed when the job's TTL passes (RQ's
            work-horse model; the handler must be importable by name, see
            :mod:`queuesim.queue.isolation`).
        register: list the worker in the registry (``queuesim info``, the dashboard).
    """

    def __init__(
        self,
        queue: Any,
        handler: Callable[..., Any],
        *,
        concurrency: int = 1,
        lease_ms: int = 30_000,
        stall_interval_ms: int = 5_000,
        max_stalls: int = 3,
        poll_interval: float = 1.0,
        shutdown_timeout: float = 10.0,
        heartbeat_ms: int = 5_000,
        name: str | None = None,
        isolation: str = "thread",
        register: bool = True,
    ) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be 'thread' or 'process', not {isolation!r}")
        self.settings = WorkerSettings(concurrency, lease_ms, stall_interval_ms, max_stalls, poll_interval,
                                       shutdown_timeout, heartbeat_ms)
        self.queue = queue
        self.handler = handler
        self.id = name or default_worker_id()
        self.isolation = isolation
        self.register = bool(register)
        self._core = self._new_core()
        self._core_used = False
        self._last: Dispatcher | None = None
        #: the signal that stopped the last run (SIGINT or SIGTERM), or None
        self.stop_signal: signal.Signals | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} on {self.queue.name} x{self.settings.concurrency}>"

    #: what the registry calls this kind of worker
    kind = "threads"

    def _about(self) -> dict[str, Any] | None:
        if not self.register:
            return None
        handler = f"{getattr(self.handler, '__module__', '?')}.{getattr(self.handler, '__qualname__', '?')}"
        return {"host": socket.gethostname(), "pid": os.getpid(),
                "kind": "processes" if self.isolation == "process" else self.kind,
                "concurrency": self.settings.concurrency, "handler": handler}

    def _new_core(self) -> Dispatcher:
        q = self.queue
        return Dispatcher(q.keys, q.events_maxlen, q.now, self.settings, self.id, q.backoff_strategies,
                          self._about())

    def _fresh_core(self) -> Dispatcher:
        """The dispatcher of a run that starts: prepared when the last run ended, so a stop or a
        pause asked for between runs applies to it."""
        self._core_used = True
        return self._core

    def _next_core(self) -> None:
        """A run ended: keep its dispatcher (for :attr:`stats`) and prepare the next run's (keeping a pause)."""
        self._last = self._core
        self._core = self._new_core()
        self._core.paused = self._last.paused
        self._core_used = False

    def _notify(self) -> None:
        """Wake the worker's loop if it is waiting."""
        raise NotImplementedError

    @property
    def stats(self) -> WorkerStats:
        """What this worker has done in its current (or last) run."""
        if self._core_used or self._last is None:
            return self._core.stats
        return self._last.stats

    @property
    def running(self) -> int:
        """How many jobs are running now."""
        return len(self._core.runs)

    def stop(self, timeout: float | None = None) -> None:
        """Stop gracefully: claim nothing more, let running jobs finish for up to ``timeout`` s
        (default ``shutdown_timeout``), then give the rest back to ``inactive``."""
        self._core.stop(self.settings.shutdown_timeout if timeout is None else timeout)
        self._notify()

    def _on_stop_signal(self, signum: int) -> None:
        """SIGINT or SIGTERM: the first stops gracefully (see :meth:`stop`), the next at once.

        It may run inside a signal handler, so it takes no lock and logs nothing (a
        logging handler's lock may be held by the very code the signal interrupted);
        the run says which signal stopped it when it ends.
        """
        self.stop_signal = signal.Signals(signum)
        self.stop(None if self._core.stop_at is None else 0)

    def _log_stop(self) -> None:
        """After a run: say which signal stopped it, if one did."""
        if self.stop_signal is not None:
            log.info("worker %s: stopped by %s", self.id, self.stop_signal.name)

    def pause(self) -> None:
        """Stop claiming new jobs (running ones go on); :meth:`resume` undoes it."""
        self._core.paused = True
        self._notify()

    def resume(self) -> None:
        """Claim jobs again after :meth:`pause`."""
        self._core.paused = False
        self._core.work_arrived()
        self._notify()


def default_worker_id() -> str:
    """host:pid:random, unique enough to tell workers apart in lease tokens."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
