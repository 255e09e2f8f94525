"""Process isolation: each job runs in a child process, killed when its TTL passes (RQ's "work horse").

With ``Worker(..., isolation="process")`` (``queuesim worker --isolate``), a
handler thread does not call the handler itself: it starts a child process
that connects to the same Redis, builds the job, runs the handler, and sends
back the outcome. The thread waits for it. When the job's TTL passes, the
worker kills the child (SIGKILL) and the slot runs the next job at once; a
handler that crashes the interpreter (a segfault, ``os._exit``) fails only its
job. The price is a process start per job (a fork from a fork server, a few
milliseconds), so it suits jobs that are long or untrusted, not no-op ones.

The children come from a ``forkserver`` (``spawn`` where there is none): they
never inherit the worker's threads or locks, so the handler must be
importable by name (a module-level function, as ``queuesim worker
MODULE:HANDLER`` names it), and the queue must be on a server the children can
reach (not the embedded store). Children ignore SIGINT and SIGTERM: the worker
decides when they stop (after its graceful-stop timeout it kills them and gives
their jobs back).
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import pickle
import signal
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from queuesim.queue.conversations import ClaimedJob

__all__ = ["HorseSpec", "WorkHorse", "horse_spec", "server_url"]


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # what every child needs, imported once by the fork server rather than by each child
    context.set_forkserver_preload(["redis", "queuesim.queue.queue", "queuesim.queue.isolation"])
    return context


def server_url(client: Any) -> str:
    """A URL that reaches the server ``client`` talks to (sync or asyncio redis-py client).

    Raises:
        ValueError: the client is not a redis-py client of a server (fakeredis, the embedded store).
    """
    pool = getattr(client, "connection_pool", None)
    kwargs = dict(getattr(pool, "connection_kwargs", {}) or {})
    connection_class = getattr(pool, "connection_class", None)
    module = getattr(connection_class, "__module__", "") or ""
    if pool is None or not module.startswith("redis.") or "server" in kwargs:
        raise ValueError(
            "process isolation runs jobs in child processes, which must reach the queue's Redis server: "
            "this queue's client is not a redis-py client of a server (the embedded store?); pass one "
            "made from a URL (redis.Redis.from_url, queuesim.connect(url))"
        )
    db = int(kwargs.get("db", 0) or 0)
    user = kwargs.get("username")
    password = kwargs.get("password")
    auth = ""
    if user or password:
        auth = f"{quote(str(user or ''), safe='')}:{quote(str(password or ''), safe='')}@"
    if kwargs.get("path"):
        return f"unix://{auth}{kwargs['path']}?db={db}"
    scheme = "rediss" if "SSL" in getattr(connection_class, "__name__", "") else "redis"
    host = kwargs.get("host", "localhost")
    if ":" in str(host):
        host = f"[{host}]"
    return f"{scheme}://{auth}{host}:{kwargs.get('port', 6379)}/{db}"


@dataclass(frozen=True, slots=True)
class HorseSpec:
    """What a child process needs to run a job of this queue: where Redis is, the queue, the handler."""

    url: str
    queue: str
    prefix: str
    events_maxlen: int
    handler: Any


def horse_spec(queue: Any, handler: Any) -> HorseSpec:
    """The spec for ``queue``'s jobs run by ``handler`` in child processes.

    Raises:
        ValueError: the queue's Redis cannot be reached from another process.
        TypeError: the handler cannot be named to another process (a lambda, a nested function).
    """
    url = server_url(queue.client)
    try:
        pickle.dumps(handler)
    except Exception as exc:
        raise TypeError(
            f"process isolation needs a handler importable by name (a module-level function), "
            f"not {handler!r}: {exc}"
        ) from None
    return HorseSpec(url, queue.name, queue.keys.prefix, queue.events_maxlen, handler)


class WorkHorse:
    """One job running in a child process."""

    def __init__(self, spec: HorseSpec, claimed: ClaimedJob) -> None:
        context = _context()
        self._receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_run_horse, args=(spec, claimed, send),
                                       name=f"queuesim-horse-{claimed.id}")
        self.process.start()
        send.close()  # the child holds its end: EOF here once it exits
        self.killed = False

    def outcome(self) -> tuple[str, str, str]:
        """Wait for the child; ``(kind, payload, stacktrace)`` with kind ``complete`` or ``fail``."""
        try:
            message: tuple[str, str, str] = self._receive.recv()
        except (EOFError, OSError):
            message = ("fail", "", "")
        finally:
            self.process.join()
            self._receive.close()
        if message[1] == "" and message[0] == "fail":
            why = "killed past its TTL" if self.killed else f"exit code {self.process.exitcode}"
            message = ("fail", f"the job's process died ({why})", "")
        return message

    def kill(self) -> None:
        """Kill the child now (SIGKILL); :meth:`outcome` then returns a failure."""
        self.killed = True
        if self.process.is_alive():
            self.process.kill()


def _run_horse(spec: HorseSpec, claimed: ClaimedJob, send: Any) -> None:
    """The child: run one job and send its outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when its children stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import redis

    from queuesim.queue.dispatch import error_message
    from queuesim.queue.job import Job
    from queuesim.queue.options import encode_json
    from queuesim.queue.queue import Queue
    from queuesim.queue.record import job_from_claim

    client = redis.Redis.from_url(spec.url, decode_responses=True)
    try:
        queue = Queue(spec.queue, redis=client, prefix=spec.prefix, events_maxlen=spec.events_maxlen)
        job = job_from_claim(queue, claimed, Job)
        try:
            result = spec.handler(job)
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
            message = ("complete", encode_json(result, f"the result of job {claimed.id}"), "")
        except BaseException as exc:  # the child reports every failure; the worker stores it
            message = ("fail", error_message(exc), traceback.format_exc())
        send.send(message)
    finally:
        send.close()
        client.close()


async def _awaited(value: Any) -> Any:
    return await value
