"""Both shells behind one test API, so a behavioural test is written once and runs on sync and asyncio.

``shell.do(x)`` returns ``x``, or, when ``x`` is awaitable, its result: the
asyncio shell runs it on an event loop of its own in a background thread (so
the queue's listener task and the worker's tasks run while the test waits).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import fakeredis
import redis
import redis.asyncio

from queuesim.queue import AsyncQueue, AsyncWorker, Queue, Worker


class Shell:
    """What a behavioural test needs of a shell."""

    name = "?"

    def __init__(self, r: redis.Redis) -> None:
        self.r = r
        self.queues: list[Any] = []

    def do(self, value: Any) -> Any:
        return value

    def queue(self, name: str = "test", **kwargs: Any) -> Any:
        raise NotImplementedError

    def worker(self, queue: Any, handler: Callable[..., Any], **kwargs: Any) -> Any:
        raise NotImplementedError

    def work(self, queue: Any, handler: Callable[..., Any], **kwargs: Any) -> Any:
        """Run a worker in burst mode; its stats."""
        return self.do(self.worker(queue, handler, **kwargs).run(burst=True, handle_signals=False))

    def start(self, worker: Any) -> Future[Any]:
        """Run a worker (not burst) in the background until it is stopped; its run's future."""
        raise NotImplementedError

    def stop(self, worker: Any, running: Future[Any]) -> Any:
        self.call(worker.stop)
        return running.result(20)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call a plain method the way the shell's own thread would."""
        return fn(*args)

    def take(self, events: Any, n: int) -> list[Any]:
        """The first ``n`` items of an (async) iterator of events."""
        return list(itertools.islice(events, n))

    def close(self) -> None:
        for q in self.queues:
            self.do(q.close())


class SyncShell(Shell):
    name = "sync"

    def queue(self, name: str = "test", **kwargs: Any) -> Queue:
        kwargs.setdefault("redis", self.r)
        q = Queue(name, **kwargs)
        self.queues.append(q)
        return q

    def worker(self, queue: Any, handler: Callable[..., Any], **kwargs: Any) -> Worker:
        return Worker(queue, handler, **kwargs)

    def start(self, worker: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def go() -> None:
            try:
                future.set_result(worker.run(handle_signals=False))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=go, daemon=True).start()
        return future


class AsyncShell(Shell):
    name = "async"

    def __init__(self, r: redis.Redis) -> None:
        super().__init__(r)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[Any] = []

    def do(self, value: Any) -> Any:
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            return asyncio.run_coroutine_threadsafe(_awaited(value), self.loop).result(30)
        return value

    def client(self) -> Any:
        server = self.r.connection_pool.connection_kwargs.get("server")
        if server is not None:
            client = fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
        else:
            kwargs = self.r.connection_pool.connection_kwargs
            client = redis.asyncio.Redis(host=kwargs.get("host", "localhost"), port=kwargs.get("port", 6379),
                                         db=kwargs.get("db", 0), decode_responses=True, socket_timeout=10)
        self.clients.append(client)
        return client

    def queue(self, name: str = "test", **kwargs: Any) -> AsyncQueue:
        kwargs.setdefault("redis", self.client())
        q = AsyncQueue(name, **kwargs)
        self.queues.append(q)
        return q

    def worker(self, queue: Any, handler: Callable[..., Any], **kwargs: Any) -> AsyncWorker:
        return AsyncWorker(queue, handler, **kwargs)

    def start(self, worker: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(worker.run(handle_signals=False), self.loop)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async def on_loop() -> Any:
            return fn(*args)

        return self.do(on_loop())

    def take(self, events: Any, n: int) -> list[Any]:
        async def first() -> list[Any]:
            out = []
            async for event in events:
                out.append(event)
                if len(out) == n:
                    break
            await events.aclose()
            return out

        return list(self.do(first()))

    def close(self) -> None:
        super().close()
        for client in self.clients:
            self.do(client.aclose())

        async def finish() -> None:  # what asyncio.run does before closing its loop
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        self.do(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _awaited(value: Any) -> Any:
    return await value


SHELLS: dict[str, type[Shell]] = {"sync": SyncShell, "async": AsyncShell}
