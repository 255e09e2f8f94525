"""``queuesim worker MODULE:HANDLER``: run a handler on queues, in P processes of N threads (or tasks) each.

What users of RQ, arq, Dramatiq and Celery expect of a worker command:

* ``MODULE:HANDLER`` names the handler (``myapp.jobs:send_email``); the current
  directory (and every ``--path``) is searched first, as ``rq worker`` and
  ``dramatiq`` do. An ``async def`` handler runs as asyncio tasks, a plain one on
  threads.
* ``--processes P`` starts P worker processes (Dramatiq's model) under a small
  supervisor, each running ``--concurrency N`` jobs at once on every ``--queue``;
  a process that dies is replaced. ``--burst`` stops when the queues are empty.
* SIGTERM or SIGINT stops gracefully: no job is claimed any more, running jobs
  finish (for up to ``--shutdown-timeout`` seconds, then they are given back to
  their queue, never left half-done); a second signal stops at once (giving the
  running jobs back). The exit code is 0 after a graceful stop. The first signal is
  logged at once (what it waits for, and that a second one stops at once), from the
  process's loop: a signal handler here only counts.
* It waits for Redis at startup and through outages, with bounded backoff:
  one log line when Redis is lost, one when it is back, never dying of it.
* One INFO line per job: its start, and its end (complete or failed, with the
  duration and the attempt). ``--log-format json`` writes them as JSON objects.
* It refuses the embedded store (a producer in another process could never
  reach it) unless ``--embedded`` asks for it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing import resource_tracker
from typing import Any

from queuesim.queue.logformat import FORMATS, LEVELS, configure_logging

__all__ = ["WorkerCommand", "load_handler", "register", "serve", "supervise"]

log = logging.getLogger("queuesim.worker")

#: Seconds a supervisor waits before replacing a worker process that died.
RESTART_DELAY = 1.0


@dataclass(frozen=True)
class WorkerCommand:
    """What every worker process needs to know (picklable: it travels to the child processes)."""

    handler: str
    queues: tuple[str, ...] = ("default",)
    concurrency: int = 1
    processes: int = 1
    burst: bool = False
    url: str | None = None
    embedded: bool = False
    prefix: str = "qs"
    log_level: str = "INFO"
    log_format: str = "text"
    isolate: bool = False
    shutdown_timeout: float = 10.0
    heartbeat: float = 5.0
    name: str | None = None
    paths: tuple[str, ...] = field(default_factory=tuple)
    #: a supervised child: SIGINT is its supervisor's to handle (Ctrl-C reaches the whole process group)
    supervised: bool = False


class UsageError(ValueError):
    """A worker command that cannot run as given (exit code 2)."""


def load_handler(spec: str, paths: tuple[str, ...] = ()) -> Callable[..., Any]:
    """The callable ``MODULE:HANDLER`` names (``HANDLER`` may be dotted: ``jobs:Mailer.send``).

    Raises:
        UsageError: the spec is malformed, the module or the attribute is missing, or it is not callable.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"the handler must be MODULE:HANDLER (e.g. myapp.jobs:send_email), not {spec!r}")
    for folder in (*paths, os.getcwd()):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UsageError(f"cannot import module {module_name!r} of {spec!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no {attribute!r}") from None
    if not callable(target):
        raise UsageError(f"{spec} is a {type(target).__name__}, not a function")
    return target  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- one worker process
def serve(command: WorkerCommand) -> int:
    """Run the workers of one process until a signal stops them (or, with burst, the queues are empty)."""
    configure_logging(command.log_level, command.log_format)
    handler = load_handler(command.handler, command.paths)
    if inspect.iscoroutinefunction(handler):
        return asyncio.run(_serve_async(command, handler))
    return _serve_threads(command, handler)


class _Stop:
    """The signals a process got; written from a signal handler, so it takes no lock and logs nothing.

    The process's loop calls :meth:`report` to log what a new signal does (a log
    handler's lock may be held by the very code a signal interrupts).
    """

    def __init__(self, command: WorkerCommand) -> None:
        self.command = command
        self.signals = 0
        self.reported = 0
        self.workers: list[Any] = []

    def __call__(self, signum: int) -> None:
        self.signals += 1
        self.deliver(signum)

    def deliver(self, signum: int) -> None:
        """Tell every worker of this process to stop (not counted as a signal)."""
        for worker in list(self.workers):
            worker._on_stop_signal(signum)

    def is_set(self) -> bool:
        return self.signals > 0

    def report(self) -> None:
        """Log what the signals that came since the last call do: the first waits for the running jobs,
        the next gives them back. Called from the process's loop, never from the signal handler."""
        if self.signals == self.reported:
            return
        first, self.reported = self.reported == 0, self.signals
        running = sum(w.running for w in self.workers)
        if first:
            again = ("" if self.command.supervised  # its supervisor says how to stop at once
                     else "; Ctrl-C again to stop at once (running jobs go back to their queue)")
            log.info("stopping: waiting for %d running job(s), up to %s s%s", running,
                     _seconds(self.command.shutdown_timeout), again)
        else:
            log.info("stopping at once: the running jobs go back to their queue")


def _seconds(value: float) -> str:
    return f"{value:g}"


#: The signals a supervisor blocks while it starts a worker process: the child inherits the mask and
#: unblocks them once its handlers are in place (:func:`_ready_for_signals`), so a signal that comes
#: while it is still importing waits for them instead of killing it half-started.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def _signals(command: WorkerCommand) -> tuple[signal.Signals, ...]:
    if command.supervised:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return (signal.SIGTERM,)
    return (signal.SIGINT, signal.SIGTERM)


def _ready_for_signals(command: WorkerCommand) -> None:
    """A supervised process has its handlers: let the signals its supervisor blocked for its start through."""
    if command.supervised:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _connect(command: WorkerCommand, stop: _Stop) -> Any:
    from queuesim.connection import connect

    return connect(command.url, embedded=command.embedded, wait=None, stop=stop.is_set)


def _worker_options(command: WorkerCommand, queue: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "concurrency": command.concurrency, "shutdown_timeout": command.shutdown_timeout,
        "heartbeat_ms": max(1, round(command.heartbeat * 1000)),
        "isolation": "process" if command.isolate else "thread",
    }
    if command.name:
        options["name"] = f"{command.name}:{os.getpid()}:{queue}"
    return options


def _announce(command: WorkerCommand, kind: str) -> None:
    if command.concurrency == 1:
        kind = kind.replace("threads", "thread").replace("tasks", "task")
    log.info("worker process %d started: %s on queue%s %s, %d %s each%s", os.getpid(), command.handler,
             "s" if len(command.queues) > 1 else "", ", ".join(command.queues), command.concurrency, kind,
             ", a child process per job" if command.isolate else "")


def _serve_threads(command: WorkerCommand, handler: Callable[..., Any]) -> int:
    from queuesim.errors import ConnectionFailed
    from queuesim.queue.queue import Queue
    from queuesim.queue.worker import Worker

    stop = _Stop(command)
    handled = _signals(command)
    previous = {s: signal.signal(s, lambda signum, frame: stop(signum)) for s in handled}
    _ready_for_signals(command)
    try:
        try:
            client = _connect(command, stop)
        except ConnectionFailed:
            if stop.is_set():
                return 0  # told to stop while waiting for Redis
            raise
        workers = [Worker(Queue(name, redis=client, prefix=command.prefix), handler, **_worker_options(command, name))
                   for name in command.queues]
        stop.workers.extend(workers)
        _announce(command, "threads")
        failures: list[BaseException] = []

        def run(worker: Any) -> None:
            try:
                worker.run(burst=command.burst, handle_signals=False)
            except BaseException as exc:  # reported below, after the others stopped
                failures.append(exc)
                log.exception("worker %s stopped on an error", worker.id)
                stop.deliver(signal.SIGTERM)

        threads = [threading.Thread(target=run, args=(w,), name=f"queue-{w.queue.name}") for w in workers]
        for t in threads:
            t.start()
        if stop.is_set():  # a signal came before the workers were listed
            stop.deliver(signal.SIGTERM)
        for t in threads:
            while t.is_alive():
                t.join(0.2)  # short joins: the main thread stays free to run signal handlers
                stop.report()
        stop.report()  # a signal in the last 0.2 s
        client.close()
        _log_stopped(workers)
        return 1 if failures else 0
    finally:
        for s, before in previous.items():
            signal.signal(s, before)


async def _serve_async(command: WorkerCommand, handler: Callable[..., Any]) -> int:
    from queuesim.connection import connect_async
    from queuesim.errors import ConnectionFailed
    from queuesim.queue.aio import AsyncQueue, AsyncWorker

    stop = _Stop(command)
    loop = asyncio.get_running_loop()
    handled = _signals(command)

    def on_signal(signum: int) -> None:  # a callback of the loop, not the signal handler: it may log
        stop(signum)
        stop.report()

    for s in handled:
        loop.add_signal_handler(s, on_signal, s)
    _ready_for_signals(command)
    try:
        try:
            probe = await asyncio.to_thread(_connect, command, stop)  # the startup wait, off the loop
        except ConnectionFailed:
            if stop.is_set():
                return 0
            raise
        probe.close()
        client = connect_async(command.url, embedded=command.embedded)
        workers = [AsyncWorker(AsyncQueue(name, redis=client, prefix=command.prefix), handler,
                               **_worker_options(command, name)) for name in command.queues]
        stop.workers.extend(workers)
        if stop.is_set():  # a signal came before the workers were listed
            stop.deliver(signal.SIGTERM)
        _announce(command, "asyncio tasks")
        results = await asyncio.gather(*(w.run(burst=command.burst, handle_signals=False) for w in workers),
                                       return_exceptions=True)
        await client.aclose()
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            log.error("a worker stopped on an error: %r", failure)
        _log_stopped(workers)
        return 1 if failures else 0
    finally:
        for s in handled:
            loop.remove_signal_handler(s)


def _log_stopped(workers: list[Any]) -> None:
    completed = sum(w.stats.completed for w in workers)
    failed = sum(w.stats.failed for w in workers)
    given_back = sum(w.stats.requeued for w in workers)
    why = next((w.stop_signal.name for w in workers if w.stop_signal is not None), None)
    log.info("worker process %d stopped%s: %d completed, %d failed, %d given back", os.getpid(),
             f" by {why}" if why else "", completed, failed, given_back)


# ---------------------------------------------------------------------- the supervisor
def _child(command: WorkerCommand) -> None:
    sys.exit(serve(command))


def supervise(command: WorkerCommand) -> int:
    """Start ``command.processes`` worker processes, replace one that dies, and stop them all on a signal.

    The first SIGTERM or SIGINT is passed on to every process as SIGTERM (a graceful
    stop); a second one too (each process then stops at once, giving its running
    jobs back); a third kills them. Returns 0 when every process stopped cleanly.
    """
    configure_logging(command.log_level, command.log_format)
    context = multiprocessing.get_context("spawn")
    child_command = replace(command, supervised=True, processes=1)
    signals = {"count": 0}

    def on_signal(signum: int, frame: Any) -> None:
        signals["count"] += 1

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    processes: list[Any] = []
    forwarded = 0
    codes: dict[int, int] = {}
    try:
        for n in range(command.processes):
            processes.append(_start(context, child_command, n))
        log.info("supervisor %d started %d worker processes: %s", os.getpid(), len(processes),
                 ", ".join(str(p.pid) for p in processes))
        while True:
            if signals["count"] > forwarded:
                forwarded = signals["count"]
                how = signal.SIGKILL if forwarded >= 3 else signal.SIGTERM
                _report_supervisor_stop(forwarded, sum(p.is_alive() for p in processes), command)
                for p in processes:
                    if p.is_alive() and p.pid is not None:
                        os.kill(p.pid, how)
            for n, p in enumerate(processes):
                if p.is_alive() or n in codes:
                    continue
                code = p.exitcode if p.exitcode is not None else 1
                if signals["count"] or (command.burst and code == 0):
                    codes[n] = code  # stopping, or done with its queues
                    continue
                log.error("worker process %s exited with code %s; starting another", p.pid, code)
                if command.burst:
                    codes[n] = code
                    continue
                time.sleep(RESTART_DELAY)
                processes[n] = _start(context, child_command, n)
            if len(codes) == len(processes):
                break
            time.sleep(0.05)
    finally:
        for s, before in previous.items():
            signal.signal(s, before)
    failed = {n: c for n, c in codes.items() if c != 0}
    log.info("supervisor %d: every worker process stopped%s", os.getpid(),
             "" if not failed else f" ({len(failed)} with an error)")
    return 0 if not failed else 1


def _report_supervisor_stop(signals: int, alive: int, command: WorkerCommand) -> None:
    """Say what the supervisor does on its ``signals``-th signal (from its loop, not its signal handler)."""
    if signals == 1:
        log.info("stopping %d worker process(es): running jobs finish, up to %s s; Ctrl-C again to stop at once "
                 "(running jobs go back to their queue)", alive, _seconds(command.shutdown_timeout))
    elif signals == 2:
        log.info("stopping at once: the worker processes give their running jobs back; Ctrl-C again to kill them")
    else:
        log.info("killing %d worker process(es)", alive)


def _start(context: Any, command: WorkerCommand, n: int) -> Any:
    """Start a worker process with SIGINT and SIGTERM blocked (it unblocks them once it handles them):
    a Ctrl-C or a SIGTERM during its start-up then stops it gracefully instead of killing it mid-import."""
    process = context.Process(target=_child, args=(command,), name=f"worker-{n + 1}")
    # the first start also starts multiprocessing's resource tracker, which unblocks both signals
    # after starting it: start it first, so the mask below holds while the worker process starts
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return process


# ---------------------------------------------------------------------- the command line
def _positive(kind: type[int] | type[float], what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{what} must be > 0, not {text}")
        return value

    return parse


def register(sub: Any) -> None:
    """Add ``queuesim worker`` to the command line."""
    p = sub.add_parser(
        "worker", help="run a job handler on queues: P processes x N threads (or asyncio tasks)",
        description="Run MODULE:HANDLER on the jobs of --queue (default: default) until SIGTERM/SIGINT "
                    "(a graceful stop: running jobs finish; a second signal stops at once).",
    )
    p.add_argument("handler", metavar="MODULE:HANDLER", help="the job handler, e.g. myapp.jobs:send_email")
    p.add_argument("--queue", "-q", action="append", metavar="NAME", dest="queues",
                   help="a queue to work on; repeat for several (default: default)")
    p.add_argument("--concurrency", "-c", type=_positive(int, "--concurrency"), default=1, metavar="N",
                   help="jobs each process runs at once, per queue (threads, or tasks for async handlers); default 1")
    p.add_argument("--processes", "-p", type=_positive(int, "--processes"), default=1, metavar="P",
                   help="worker processes (default 1)")
    p.add_argument("--burst", action="store_true", help="stop when the queues are empty (RQ's burst mode)")
    p.add_argument("--redis", metavar="URL", help="the Redis server (default: REDIS_URL)")
    p.add_argument("--embedded", action="store_true",
                   help="use the embedded store when no URL is given (only this process can reach it)")
    p.add_argument("--prefix", default="qs", help="the queues' key prefix (default qs)")
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=LEVELS, help="default INFO")
    p.add_argument("--log-format", default="text", choices=FORMATS, help="text lines, or one JSON object per line")
    p.add_argument("--isolate", action="store_true",
                   help="run each job in a child process, killed when its TTL passes (RQ's work horse)")
    p.add_argument("--shutdown-timeout", type=_positive(float, "--shutdown-timeout"), default=10.0,
                   metavar="SECONDS", help="how long running jobs may finish after SIGTERM (default 10)")
    p.add_argument("--heartbeat", type=_positive(float, "--heartbeat"), default=5.0, metavar="SECONDS",
                   help="how often each worker tells the registry it is alive (default 5)")
    p.add_argument("--name", help="a name for these workers in the registry (default host:pid:random)")
    p.add_argument("--path", action="append", metavar="DIR", default=[],
                   help="a folder to import the handler from (the current one is searched anyway)")
    p.set_defaults(func=_run, needs_a_server=True)


def _run(args: argparse.Namespace) -> int:
    from queuesim.connection import redis_url
    from queuesim.queue.core import check_name

    command = WorkerCommand(
        handler=args.handler, queues=tuple(dict.fromkeys(args.queues or ["default"])),
        concurrency=args.concurrency, processes=args.processes, burst=args.burst, url=args.redis,
        embedded=args.embedded, prefix=args.prefix, log_level=args.log_level, log_format=args.log_format,
        isolate=args.isolate, shutdown_timeout=args.shutdown_timeout, heartbeat=args.heartbeat, name=args.name,
        paths=tuple(os.path.abspath(p) for p in args.path),
    )
    try:
        load_handler(command.handler, command.paths)  # a typo fails here, once, not in every process
        for name in (*command.queues, command.prefix):
            check_name(name)
        url = redis_url(command.url)
        if url is None and not command.embedded:
            raise UsageError("no Redis server given: pass --redis URL or set REDIS_URL (the embedded store lives "
                             "inside one process, where no producer can reach it; --embedded uses it anyway)")
        if url is None and (command.processes > 1 or command.isolate):
            raise UsageError("the embedded store cannot be shared by several processes: give a Redis URL")
        command = replace(command, url=url)
    except (UsageError, ValueError) as exc:
        print(f"queuesim worker: {exc}", file=sys.stderr)
        return 2
    # the name the log lines carry (%(processName)s): worker-1 when this process runs the jobs, as the
    # supervisor's worker processes are worker-1 ... worker-P (rather than multiprocessing's MainProcess)
    this = multiprocessing.current_process()
    before, this.name = this.name, "worker-1" if command.processes == 1 else "supervisor"
    try:
        return serve(command) if command.processes == 1 else supervise(command)
    finally:
        this.name = before
