"""Cross-process job events, read from the queue's Redis stream.

Scripts append every job event to the stream ``qs:{NAME}:events`` (trimmed to
about ``events_maxlen`` entries). Reading it is a handful of conversations
(:func:`last_event_id`, :func:`read_events`, :func:`history`), so the sync and
asyncio shells, the dashboard and the simulation read it the same way.

A hub delivers the events to the callbacks registered with ``job.on(...)``
and ``queue.on("job <event>", ...)``, so a creator sees the events of jobs run
by a worker in another process: :class:`EventHub` listens on a background
thread (the sync :class:`~queuesim.Queue`), :class:`AsyncEventHub` in a task
of the event loop (:class:`~queuesim.AsyncQueue`). Both keep their callbacks
and the last events delivered in an :class:`EventBook`. Because a stream keeps
its entries, a listener that starts late (or reconnects) replays what it
missed instead of losing it, which Kue's pub/sub could not do.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import threading
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from queuesim.drivers import Conversation, hash_reply, text
from queuesim.queue.keys import QueueKeys
from queuesim.queue.outage import Outage

if TYPE_CHECKING:
    from queuesim.queue.aio import AsyncQueue
    from queuesim.queue.queue import Queue

__all__ = [
    "JOB_EVENTS",
    "AsyncEventHub",
    "Event",
    "EventBook",
    "EventHub",
    "history",
    "last_event_id",
    "parse_entry",
    "read_events",
    "stop_task",
    "stream_id_key",
]

log = logging.getLogger("queuesim.events")

#: The job events, as Kue names them (plus ``stalled``, ``requeue`` and ``move``: a requeue,
#: a move to another state or a new priority, with the old state, the new one and the priority).
JOB_EVENTS: frozenset[str] = frozenset(
    {"enqueue", "start", "promotion", "progress", "failed attempt", "failed", "complete", "remove",
     "stalled", "requeue", "move"}
)
#: Events after which a job has no more: its callbacks are dropped.
TERMINAL: frozenset[str] = frozenset({"complete", "failed", "remove"})
_HISTORY = 10_000
_BLOCK_MS = 500
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)


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

    @property
    def at(self) -> int:
        """When the event happened (ms, the stream id's time part)."""
        return stream_id_key(self.stream_id)[0]


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """A stream id as a sortable pair."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def parse_entry(entry_id: Any, fields: Any) -> Event:
    """An event from a raw stream entry."""
    f = hash_reply(fields)
    return Event(text(entry_id), f["id"], f["event"], tuple(json.loads(f.get("args", "[]"))))


def _job_of(fields: Any) -> str | None:
    """The job id of a raw entry, read without decoding the rest."""
    if isinstance(fields, dict):
        value = fields.get("id", fields.get(b"id"))
        return None if value is None else text(value)
    items = list(fields)
    for i in range(0, len(items) - 1, 2):
        if text(items[i]) == "id":
            return text(items[i + 1])
    return None


# ---------------------------------------------------------------------- conversations
def last_event_id(keys: QueueKeys) -> Conversation[str]:
    """The id of the newest event in the stream, ``0-0`` when it is empty."""
    last = yield ("XREVRANGE", keys.events, "+", "-", "COUNT", 1)
    return text(last[0][0]) if last else "0-0"


def read_events(keys: QueueKeys, cursor: str, block_ms: int, count: int = 1000) -> Conversation[list[Event]]:
    """Events after ``cursor``, waiting up to ``block_ms`` for the first (a blocking read)."""
    reply = yield ("XREAD", "COUNT", count, "BLOCK", block_ms, "STREAMS", keys.events, cursor)
    streams = reply.items() if isinstance(reply, dict) else (reply or ())
    return [parse_entry(i, f) for _stream, entries in streams for i, f in entries]


def history(
    keys: QueueKeys, job_id: str | None = None, count: int | None = 1000, since: str = "-", until: str = "+"
) -> Conversation[list[Event]]:
    """Events still in the stream between two ids (oldest first), of one job only if ``job_id`` is given
    (a job's timeline); at most the last ``count`` (None: all)."""
    entries = yield ("XRANGE", keys.events, since, until)
    if job_id is not None:
        wanted = str(job_id)
        entries = [(i, f) for i, f in entries if _job_of(f) == wanted]  # filtered before decoding
    if count is not None:
        entries = entries[-count:] if count > 0 else []
    return [parse_entry(i, f) for i, f in entries]


# ---------------------------------------------------------------------- what both hubs keep
class EventBook:
    """The callbacks registered on one queue and the last events delivered (for replays).

    Not thread-safe by itself: each hub guards it its own way.
    """

    def __init__(self) -> None:
        self.job_callbacks: dict[str, dict[str, list[Callable[..., Any]]]] = defaultdict(lambda: defaultdict(list))
        self.queue_callbacks: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        # the last events delivered, oldest first, and the same events by job
        self._recent: deque[Event] = deque()
        self._recent_by_job: dict[str, deque[Event]] = defaultdict(deque)

    @staticmethod
    def check_job_event(event: str) -> None:
        """Raise ValueError unless ``event`` is a job event."""
        if event not in JOB_EVENTS:
            raise ValueError(f"unknown job event {event!r}; known: {', '.join(sorted(JOB_EVENTS))}")

    @staticmethod
    def queue_event_name(event: str) -> str:
        """The job event a queue-level ``"job <event>"`` names; ValueError otherwise."""
        name = event.removeprefix("job ")
        if not event.startswith("job ") or name not in JOB_EVENTS:
            known = ", ".join(f"'job {e}'" for e in sorted(JOB_EVENTS))
            raise ValueError(f"unknown queue event {event!r}; known: {known}")
        return name

    def deliver(self, event: Event) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
        """Remember ``event``; returns the calls it is due (job callbacks first, then the queue's)."""
        self._remember(event)
        calls = [(cb, event.args) for cb in self.job_callbacks.get(event.job_id, {}).get(event.name, ())]
        calls += [(cb, (event.job_id, *event.args)) for cb in self.queue_callbacks.get(event.name, ())]
        if event.name in TERMINAL:
            self.job_callbacks.pop(event.job_id, None)
        return calls

    def recent(self, job_id: str, since: str) -> list[Event]:
        """Events of ``job_id`` delivered here from ``since`` on."""
        start = stream_id_key(since)
        return [e for e in self._recent_by_job.get(job_id, ()) if stream_id_key(e.stream_id) >= start]

    def _remember(self, event: Event) -> None:
        self._recent.append(event)
        self._recent_by_job[event.job_id].append(event)
        if len(self._recent) > _HISTORY:
            old = self._recent.popleft()
            per_job = self._recent_by_job[old.job_id]
            per_job.popleft()  # the oldest event of that job is the one leaving
            if not per_job:
                del self._recent_by_job[old.job_id]


def _call(callback: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        return callback(*args)
    except Exception:
        log.exception("an event callback raised")
        return None


# ---------------------------------------------------------------------- the thread hub
class EventHub:
    """Delivers a :class:`~queuesim.Queue`'s stream events to callbacks, from a background thread."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.book = EventBook()
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_id = "0-0"

    def __repr__(self) -> str:
        running = self._thread is not None and self._thread.is_alive()
        return f"<EventHub {self.queue.name} {'listening' if running else 'idle'}>"

    @property
    def _job_callbacks(self) -> dict[str, dict[str, list[Callable[..., Any]]]]:
        return self.book.job_callbacks

    # ------------------------------------------------------------------ registration
    def on_job(self, job_id: str | None, since: str | None, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on ``event`` of job ``job_id``; replays its events from ``since`` (its
        ``enqueue`` event's id, when this process saved it)."""
        self.book.check_job_event(event)
        if job_id is None:
            raise ValueError("save the job before listening to its events")
        if self.queue.test_mode.active and not self.queue.test_mode.process:
            return  # nothing runs in test mode, so nothing will ever happen
        with self._lock:
            self._ensure_started()
            if since is not None:
                for past in self._missed(job_id, since):
                    if past.name == event:
                        _call(callback, past.args)
            self.book.job_callbacks[job_id][event].append(callback)

    def on_queue(self, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(job_id, *args)`` on the queue-level ``"job <event>"`` (Kue's names)."""
        name = self.book.queue_event_name(event)
        with self._lock:
            self._ensure_started()
            self.book.queue_callbacks[name].append(callback)

    def _missed(self, job_id: str, since: str) -> list[Event]:
        """Events of ``job_id`` from ``since`` on that already went by."""
        found: list[Event] = []
        if stream_id_key(since) <= stream_id_key(self._start_id):
            found = self.queue.driver.run(history(self.queue.keys, job_id, None, since, self._start_id))
        return found + self.book.recent(job_id, since)

    # ------------------------------------------------------------------ the listener
    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._start_id = self.queue.driver.run(last_event_id(self.queue.keys))
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name=f"queuesim-events-{self.queue.name}", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        outage = Outage(f"event listener of queue {self.queue.name}", logger=log)
        cursor = self._start_id
        while not self._stop.is_set():
            try:
                events = self.queue.driver.run(read_events(self.queue.keys, cursor, _BLOCK_MS))
            except _REDIS_DOWN as exc:
                self._stop.wait(outage.lost(exc))
                continue
            outage.back()
            for event in events:
                cursor = event.stream_id
                with self._lock:
                    calls = self.book.deliver(event)
                    for callback, args in calls:
                        _call(callback, args)

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
        return self.queue.driver.run(history(self.queue.keys, job_id, count))

    def follow(self, since: str = "$", block_ms: int = 1000) -> Iterator[Event]:
        """Yield events as they arrive (a blocking generator; stop iterating to end it)."""
        keys = self.queue.keys
        cursor = self.queue.driver.run(last_event_id(keys)) if since == "$" else since
        while True:
            for event in self.queue.driver.run(read_events(keys, cursor, block_ms)):
                cursor = event.stream_id
                yield event


# ---------------------------------------------------------------------- the asyncio hub
class AsyncEventHub:
    """Delivers an :class:`~queuesim.AsyncQueue`'s stream events to callbacks, from a task of its loop.

    Callbacks may be plain functions or coroutine functions (awaited in turn).
    """

    def __init__(self, queue: AsyncQueue) -> None:
        self.queue = queue
        self.book = EventBook()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._start_id = "0-0"

    def __repr__(self) -> str:
        running = self._task is not None and not self._task.done()
        return f"<AsyncEventHub {self.queue.name} {'listening' if running else 'idle'}>"

    async def on_job(self, job_id: str | None, since: str | None, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on ``event`` of job ``job_id`` (see :meth:`EventHub.on_job`)."""
        self.book.check_job_event(event)
        if job_id is None:
            raise ValueError("save the job before listening to its events")
        if self.queue.test_mode.active and not self.queue.test_mode.process:
            return
        async with self._guard():
            await self._ensure_started()
            if since is not None:
                for past in await self._missed(job_id, since):
                    if past.name == event:
                        await _acall(callback, past.args)
            self.book.job_callbacks[job_id][event].append(callback)

    async def on_queue(self, event: str, callback: Callable[..., Any]) -> None:
        """Call ``callback(job_id, *args)`` on the queue-level ``"job <event>"``."""
        name = self.book.queue_event_name(event)
        async with self._guard():
            await self._ensure_started()
            self.book.queue_callbacks[name].append(callback)

    def _guard(self) -> Any:
        # a callback run by the listener (which holds the lock) may register more: no second acquire
        if self._task is not None and asyncio.current_task() is self._task:
            return _NoLock()
        return self._lock

    async def _missed(self, job_id: str, since: str) -> list[Event]:
        found: list[Event] = []
        if stream_id_key(since) <= stream_id_key(self._start_id):
            found = await self.queue.driver.run(history(self.queue.keys, job_id, None, since, self._start_id))
        return found + self.book.recent(job_id, since)

    async def _ensure_started(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._start_id = await self.queue.driver.run(last_event_id(self.queue.keys))
        self._closing = False
        self._task = asyncio.create_task(self._listen(), name=f"queuesim-events-{self.queue.name}")

    async def _listen(self) -> None:
        outage = Outage(f"event listener of queue {self.queue.name}", logger=log)
        cursor = self._start_id
        while not self._closing:  # (some clients swallow a cancellation that comes during a blocking read)
            try:
                events = await self.queue.driver.run(read_events(self.queue.keys, cursor, _BLOCK_MS))
            except _REDIS_DOWN as exc:
                await asyncio.sleep(outage.lost(exc))
                continue
            outage.back()
            for event in events:
                cursor = event.stream_id
                async with self._lock:
                    for callback, args in self.book.deliver(event):
                        await _acall(callback, args)

    async def close(self, timeout: float = 2.0) -> None:
        """Stop the listener task (waiting up to ``timeout`` s for it to end)."""
        task, self._task = self._task, None
        self._closing = True
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            await stop_task(task, timeout)

    async def history(self, job_id: str | None = None, count: int = 1000) -> list[Event]:
        """Events still in the stream (oldest first), optionally of one job only."""
        return await self.queue.driver.run(history(self.queue.keys, job_id, count))

    async def follow(self, since: str = "$", block_ms: int = 1000) -> AsyncIterator[Event]:
        """Yield events as they arrive (``async for``; stop iterating to end it)."""
        keys = self.queue.keys
        cursor = (await self.queue.driver.run(last_event_id(keys))) if since == "$" else since
        while True:
            for event in await self.queue.driver.run(read_events(keys, cursor, block_ms)):
                cursor = event.stream_id
                yield event


async def stop_task(task: asyncio.Task[Any], patience: float = 2.0) -> None:
    """Wait for a cancelled task to end (at most ``patience`` seconds: it ends after its current read)."""
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), patience)


async def _acall(callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
    result = _call(callback, args)
    if inspect.isawaitable(result):
        try:
            await result
        except Exception:
            log.exception("an event callback raised")


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None

