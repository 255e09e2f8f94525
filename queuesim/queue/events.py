"""Cross-process job events, read from the queue's Redis stream.

Scripts append every job event to the stream ``qs:{NAME}:events`` (trimmed to
about ``events_maxlen`` entries). An :class:`EventHub` reads it on a background
thread and calls the callbacks registered with ``job.on(...)`` and
``queue.on("job <event>", ...)``, so a creator sees the events of jobs run by a
worker in another process. Because a stream keeps its entries, a listener
that starts late (or reconnects) replays what it missed instead of losing it,
which Kue's pub/sub could not do.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from queuesim.queue.job import Job
    from queuesim.queue.queue import Queue

__all__ = ["JOB_EVENTS", "Event", "EventHub", "stream_id_key"]

log = logging.getLogger("queuesim.events")

#: The job events, as Kue names them (plus ``stalled``, ``requeue`` and ``move``: a requeue,
#: a move to another state or a new priority, with the old state, the new one and the priority).
JOB_EVENTS: frozenset[str] = frozenset(
    {"enqueue", "start", "promotion", "progress", "failed attempt", "failed", "complete", "remove",
     "stalled", "requeue", "move"}
)
_TERMINAL = {"complete", "failed", "remove"}
_HISTORY = 10_000
_BLOCK_MS = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One job event read from the stream."""

    #: the stream entry id (``<ms>-<seq>``), increasing
    stream_id: str
    job_id: str
    #: the event name, e.g. ``complete``
    name: str
    #: the event's arguments (e.g. the result for ``complete``)
    args: tuple[Any, ...]


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """A stream id as a sortable pair."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_entry(entry_id: Any, fields: dict[Any, Any]) -> Event:
    """An event from a raw stream entry."""
    f = {_s(k): _s(v) for k, v in fields.items()}
    return Event(_s(entry_id), f["id"], f["event"], tuple(json.loads(f.get("args", "[]"))))


class EventHub:
    """Delivers a queue's stream events to callbacks, from a background thread."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._lock = threading.RLock()
        self._job_callbacks: dict[str, dict[str, list[Callable[..., Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._queue_callbacks: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        # the last events delivered, oldest first, and the same events by job (for replays)
        self._history: deque[Event] = deque()
        self._history_by_job: dict[str, deque[Event]] = defaultdict(deque)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_id = "0-0"

    def __repr__(self) -> str:
        running = self._thread is not None and self._thread.is_alive()
        return f"<EventHub {self.queue.name} {'listening' if running else 'idle'}>"

    # ------------------------------------------------------------------ registration
    def on_job(self, job: Job, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on ``event`` of ``job``; replays what happened since it was saved."""
        if event not in JOB_EVENTS:
            raise ValueError(f"unknown job event {event!r}; known: {', '.join(sorted(JOB_EVENTS))}")
        if job.id is None:
            raise ValueError("save the job before listening to its events")
        if self.queue.test_mode.active and not self.queue.test_mode.process:
            return  # nothing runs in test mode, so nothing will ever happen
        with self._lock:
            self._ensure_started()
            if job.event_id is not None:
                for past in self._missed(job.id, job.event_id):
                    if past.name == event:
                        self._call(callback, past.args)
            self._job_callbacks[job.id][event].append(callback)

    def on_queue(self, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(job_id, *args)`` on the queue-level ``"job <event>"`` (Kue's names)."""
        name = event.removeprefix("job ")
        if not event.startswith("job ") or name not in JOB_EVENTS:
            known = ", ".join(f"'job {e}'" for e in sorted(JOB_EVENTS))
            raise ValueError(f"unknown queue event {event!r}; known: {known}")
        with self._lock:
            self._ensure_started()
            self._queue_callbacks[name].append(callback)

    def _missed(self, job_id: str, since: str) -> list[Event]:
        """Events of ``job_id`` from ``since`` on that already went by."""
        found: list[Event] = []
        if stream_id_key(since) <= stream_id_key(self._start_id):
            client: Any = self.queue.driver.client
            raw = client.xrange(self.queue.keys.events, since, self._start_id)
            found = [e for e in (parse_entry(i, f) for i, f in raw) if e.job_id == job_id]
        start = stream_id_key(since)
        found += [e for e in self._history_by_job.get(job_id, ()) if stream_id_key(e.stream_id) >= start]
        return found

    # ------------------------------------------------------------------ the listener
    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        client = self.queue.driver.client
        last = client.xrevrange(self.queue.keys.events, count=1)
        self._start_id = _s(last[0][0]) if last else "0-0"
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._listen, name=f"queuesim-events-{self.queue.name}", daemon=True
        )
        self._thread.start()

    def _listen(self) -> None:
        client: Any = self.queue.driver.client
        cursor = self._start_id
        delay = 0.1
        while not self._stop.is_set():
            try:
                reply = client.xread({self.queue.keys.events: cursor}, block=_BLOCK_MS, count=1000)
                delay = 0.1
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("event listener for %s lost Redis (%s); retrying", self.queue.name, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            for _stream, entries in reply or ():
                for entry_id, fields in entries:
                    event = parse_entry(entry_id, fields)
                    cursor = event.stream_id
                    self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        with self._lock:
            self._remember(event)
            callbacks = list(self._job_callbacks.get(event.job_id, {}).get(event.name, ()))
            queue_callbacks = list(self._queue_callbacks.get(event.name, ()))
            if event.name in _TERMINAL:
                self._job_callbacks.pop(event.job_id, None)
            for cb in callbacks:
                self._call(cb, event.args)
            for cb in queue_callbacks:
                self._call(cb, (event.job_id, *event.args))

    def _remember(self, event: Event) -> None:
        self._history.append(event)
        self._history_by_job[event.job_id].append(event)
        if len(self._history) > _HISTORY:
            old = self._history.popleft()
            per_job = self._history_by_job[old.job_id]
            per_job.popleft()  # the oldest event of that job is the one leaving
            if not per_job:
                del self._history_by_job[old.job_id]

    @staticmethod
    def _call(callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("an event callback raised")

    def close(self, timeout: float = 2.0) -> None:
        """Stop the listener thread."""
        self._stop.set()
        thread, self._thread = self._thread, None
        # is_alive() is False for a thread whose start() was interrupted (Ctrl-C, SIGTERM):
        # join() would raise, and a thread that does start sees _stop set and returns at once
        if thread is not None and thread.is_alive():
            thread.join(timeout)

    # ------------------------------------------------------------------ reading without callbacks
    def history(self, job_id: str | None = None, count: int = 1000) -> list[Event]:
        """Events still in the stream (oldest first), optionally of one job only (a job's timeline)."""
        client: Any = self.queue.driver.client
        raw = client.xrange(self.queue.keys.events, "-", "+")
        events = [parse_entry(i, f) for i, f in raw]
        if job_id is not None:
            events = [e for e in events if e.job_id == str(job_id)]
        return events[-count:]

    def follow(self, since: str = "$", block_ms: int = 1000) -> Iterator[Event]:
        """Yield events as they arrive (a blocking generator; stop iterating to end it)."""
        client: Any = self.queue.driver.client
        cursor = since
        if since == "$":
            last = client.xrevrange(self.queue.keys.events, count=1)
            cursor = _s(last[0][0]) if last else "0-0"
        while True:
            reply = client.xread({self.queue.keys.events: cursor}, block=block_ms, count=1000)
            for _stream, entries in reply or ():
                for entry_id, fields in entries:
                    event = parse_entry(entry_id, fields)
                    cursor = event.stream_id
                    yield event
