"""Live updates for the dashboard: the queues' event streams, fanned out as server-sent events.

One :class:`EventPump` per app reads every queue's Redis stream with a
blocking ``XREAD`` (up to ``block_ms`` at a time, on one pooled connection,
however many browsers watch) and hands each batch of events to every
subscriber. It runs only while someone subscribes, and ends on :meth:`stop`
(server shutdown). :func:`event_stream` turns a subscription into the
``text/event-stream`` body of ``GET /events``; it ends when the browser
leaves, when the pump stops, or when the subscriber falls too far behind
(the browser's ``EventSource`` then reconnects and the page reloads its data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.exceptions

from queuesim.web import kue_ops as ops
from queuesim.web.common import RedisRunner

__all__ = ["BLOCK_MS", "KEEPALIVE", "EventPump", "Subscription", "event_stream", "sse"]

log = logging.getLogger("queuesim.web.live")

#: How long one XREAD waits for events (below the server clients' 1 s socket timeout).
BLOCK_MS = 500
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 15.0
_BACKLOG = 100  # batches a subscriber may have unread before it is dropped
_RETRY_MAX = 5.0


def sse(event: str, data: Any) -> str:
    """One server-sent event: ``event: NAME`` and its data as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _slim(event: dict[str, Any]) -> dict[str, Any]:
    """An event as browsers get it: results left out (they can be large), errors cut short."""
    name, args = event["event"], event["args"]
    if name == "progress":
        args = args[:1]
    elif name in ("failed", "failed attempt"):
        args = [str(args[0])[:200], *args[1:]] if args else []
    elif name != "enqueue":
        args = []
    return {**event, "args": args}


class Subscription:
    """A subscriber's inbox: batches of events, ``None`` once the pump stops or drops it."""

    __slots__ = ("_inbox", "closed")

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue(_BACKLOG)
        self.closed = False

    def put(self, item: tuple[str, Any]) -> None:
        """Queue ``item`` for the subscriber; a subscriber too far behind is closed instead."""
        if self.closed:
            return
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            self.close()

    def close(self) -> None:
        """End the subscription: the reader gets ``None`` next."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            while True:  # make room for the end marker
                try:
                    self._inbox.get_nowait()
                except asyncio.QueueEmpty:
                    break
            self._inbox.put_nowait(None)

    async def get(self, timeout: float) -> tuple[str, Any] | None:
        """The next ``(kind, data)``; ``("idle", None)`` after ``timeout`` s; ``None`` at the end."""
        try:
            return await asyncio.wait_for(self._inbox.get(), timeout)
        except TimeoutError:
            return ("idle", None)


class EventPump:
    """Reads every queue's event stream while anyone listens, and fans the events out.

    Args:
        runner: runs the reads on the app's Redis client.
        prefix: the queues' key prefix.
        block_ms: how long one XREAD blocks.
    """

    def __init__(self, runner: RedisRunner, prefix: str, *, block_ms: int = BLOCK_MS) -> None:
        self.runner = runner
        self.prefix = prefix
        self.block_ms = block_ms
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopped = False
        #: whether the last read reached Redis
        self.healthy = True

    def __repr__(self) -> str:
        running = self._task is not None and not self._task.done()
        return f"<EventPump {len(self._subscribers)} subscribers {'running' if running else 'idle'}>"

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscribers)

    @property
    def running(self) -> bool:
        """Whether the reading task is alive."""
        return self._task is not None and not self._task.done()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for the duration of the ``async with`` block.

        It gets every event recorded after it is entered: a pump that starts reads
        where each stream ends before the block begins.
        """
        sub = Subscription()
        if self._stopped:
            sub.close()
        else:
            self._subscribers.add(sub)
            if not self.running:
                self._ready = asyncio.Event()
                self._task = asyncio.create_task(self._pump(), name="queuesim-event-pump")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.runner.deadline)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)
            sub.close()

    def publish(self, type: str, job_id: str | None, event: str, args: list[Any]) -> None:
        """Tell every subscriber of a change the event streams do not record (moves, pauses)."""
        item = {"type": type, "id": job_id, "event": event, "args": args, "at": None, "stream_id": None}
        for sub in list(self._subscribers):
            sub.put(("jobs", [item]))

    def stop(self) -> None:
        """End every subscription and the reading task (call on shutdown; idempotent)."""
        self._stopped = True
        for sub in list(self._subscribers):
            sub.close()
        self._subscribers.clear()
        if self._task is not None:
            self._task.cancel()

    async def aclose(self) -> None:
        """Stop, and wait for the reading task to end."""
        self.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def _broadcast(self, kind: str, data: Any) -> None:
        for sub in list(self._subscribers):
            sub.put((kind, data))

    async def _pump(self) -> None:
        cursors: dict[str, str] = {}
        known = False
        delay = 0.1
        while self._subscribers and not self._stopped:
            try:
                names = await self.runner.run(ops.queue_names(self.prefix))
                fresh = [n for n in names if n not in cursors]
                if fresh:
                    if known:  # a queue that appeared while we listened: all its events are new
                        cursors.update(dict.fromkeys(fresh, "0-0"))
                    else:
                        cursors.update(await self.runner.run(ops.stream_cursors(self.prefix, fresh)))
                known = True
                self._ready.set()
                if not cursors:
                    await asyncio.sleep(self.block_ms / 1000)
                    continue
                events = await self.runner.run(ops.read_events(self.prefix, cursors, self.block_ms))
            except (redis.exceptions.RedisError, TimeoutError, OSError) as exc:
                log.warning("event stream: Redis failed (%s: %s); retrying", type(exc).__name__, exc)
                self._ready.set()  # nobody waits for a Redis that is down
                if self.healthy:
                    self.healthy = False
                    self._broadcast("status", {"redis": "down"})
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            delay = 0.1
            if not self.healthy:
                self.healthy = True
                self._broadcast("status", {"redis": "up"})
            if events:
                self._broadcast("jobs", [_slim(e) for e in events])


async def event_stream(
    pump: EventPump,
    is_disconnected: Callable[[], Awaitable[bool]],
    *,
    keepalive: float = KEEPALIVE,
    check_every: float = 1.0,
) -> AsyncIterator[str]:
    """The body of ``GET /events``: ``jobs`` events (lists of job events), ``status`` events
    (Redis down/up) and keep-alive comments, until the browser leaves or the pump stops."""
    loop = asyncio.get_running_loop()
    async with pump.subscribe() as sub:
        yield "retry: 2000\n\n"
        yield sse("hello", {"redis": "up" if pump.healthy else "down"})
        checked = spoke = loop.time()
        while True:
            item = await sub.get(check_every)
            if item is None:
                return
            now = loop.time()
            if now - checked >= check_every or item[0] == "idle":
                checked = now
                if await is_disconnected():
                    return
            kind, data = item
            if kind != "idle":
                spoke = now
                yield sse(kind, data)
            elif now - spoke >= keepalive:
                spoke = now
                yield ": keep-alive\n\n"
