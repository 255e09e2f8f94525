"""Run a web app with uvicorn until Ctrl-C or SIGTERM, then shut down gracefully and return 0.

Long-lived responses (server-sent events) never finish by themselves, and
uvicorn waits for open responses before it shuts down; ``on_shutdown``
callbacks run as soon as shutdown starts, so such responses can end at once.

``workers=N`` runs N server processes on one port: this process binds the
socket, then forks N workers that each run the app (its lifespan, its own Redis
client) and accept connections on that socket, and waits for them. Ctrl-C or
SIGTERM stops every worker gracefully. A worker that dies stops the others and
the command returns 1 (a process supervisor restarts the whole).

Before serving, the objects made so far (the imported modules, the app) are
moved out of the garbage collector's reach (``gc.freeze()``): a full collection
of a FastAPI process scans some 70,000 objects for about 50 ms, stalling every
request in flight, which was most of the 99th percentile latency
(``bench/README.md``).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "MAX_WORKERS", "build_server", "check_workers", "serve"]

#: Listen on loopback only unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
#: The course's port.
DEFAULT_PORT = 1245

#: The most server processes ``serve`` starts.
MAX_WORKERS = 64

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
log = logging.getLogger("queuesim.web")


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, plus queuesim's loggers on its stream and in its format.

    queuesim's library loggers have only a ``NullHandler``; a server is an
    application, so its warnings (Redis down, a job recovered...) go to stderr
    next to uvicorn's own lines.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["queuesim"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def check_workers(url: str | None, workers: int) -> None:
    """Refuse a number of server processes that cannot serve ``url`` (checked as a Redis URL too).

    Raises:
        InvalidURL: a malformed URL.
        ValueError: ``workers`` out of range, or above 1 on the embedded store (each
            process would have a store of its own, and sell the same stock again).
    """
    from queuesim.connection import redis_url

    chosen = redis_url(url)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be an int between 1 and {MAX_WORKERS}, got {workers!r}")
    if workers > 1 and chosen is None:
        raise ValueError(
            f"{workers} worker processes need a Redis server they all share (--redis URL or REDIS_URL): "
            "on the embedded store each process would have a store of its own"
        )


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Swallow the stop signal uvicorn re-raises after its graceful shutdown."""


def build_server(
    app: FastAPI,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    log_level: str = "info",
    access_log: bool = False,
    on_shutdown: Sequence[Callable[[], Any]] = (),
    **uvicorn_options: Any,
) -> uvicorn.Server:
    """A uvicorn server for ``app`` (not started): ``serve`` runs one; tests run one in a thread.

    ``on_shutdown`` callbacks are called on the server's event loop when shutdown
    begins, before uvicorn waits for open responses to finish.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int between 0 and 65535, got {port!r}")
    import uvicorn  # here, so that the command line starts fast when it serves nothing

    callbacks = tuple(on_shutdown)
    uvicorn_options.setdefault("log_config", _log_config())

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            for callback in callbacks:
                callback()
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=access_log, **uvicorn_options
    )
    return Server(config)


def serve(
    app: FastAPI,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    log_level: str = "info",
    access_log: bool = False,
    on_shutdown: Sequence[Callable[[], Any]] = (),
    workers: int = 1,
    **uvicorn_options: Any,
) -> int:
    """Serve ``app`` on ``host:port`` with ``workers`` uvicorn processes; blocks until stopped.

    Ctrl-C or SIGTERM stops accepting connections, lets requests in flight
    finish, runs the app's shutdown (closing its Redis client) and returns 0.
    With ``workers > 1`` (POSIX only) each worker is a forked process running
    the app (see the module docstring); the app must not have started yet.

    Returns:
        0 after a clean stop, 1 if the server could not start (or a worker died).

    Raises:
        ValueError: ``workers`` is not between 1 and :data:`MAX_WORKERS`.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be an int between 1 and {MAX_WORKERS}, got {workers!r}")
    server = build_server(
        app, host, port, log_level=log_level, access_log=access_log, on_shutdown=on_shutdown, **uvicorn_options
    )
    if workers > 1:
        return _serve_forked(server, workers)
    # uvicorn handles the signal itself, then re-raises it once shut down so that a
    # default handler would kill the process; with this one the command returns 0.
    in_main = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = {sig: signal.signal(sig, _ignore) for sig in _STOP_SIGNALS} if in_main else {}
    _freeze_heap()
    try:
        server.run()
    except SystemExit:
        if server.started:
            raise
        return 1  # uvicorn exits when it cannot bind the port (it has logged why)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        gc.unfreeze()
    return 0 if server.started else 1


def _freeze_heap() -> None:
    """Keep what exists now (modules, the app) out of every later garbage collection."""
    gc.collect()
    gc.freeze()


def _serve_forked(server: uvicorn.Server, workers: int) -> int:
    """Bind once, fork ``workers`` processes serving on that socket, wait for them; the exit code."""
    if not hasattr(os, "fork"):
        raise ValueError("workers > 1 needs os.fork (POSIX)")
    if threading.current_thread() is not threading.main_thread():
        raise ValueError("workers > 1 must be started from the main thread")
    try:
        sock = server.config.bind_socket()
    except SystemExit:
        return 1  # the port is taken or cannot be bound (uvicorn has logged why)
    stopping = False
    children: set[int] = set()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            _kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    _freeze_heap()
    status = 0
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:  # the worker: serve until told to stop, then leave without unwinding the parent's stack
                for sig in _STOP_SIGNALS:
                    signal.signal(sig, _ignore)
                code = 1
                try:
                    server.run(sockets=[sock])
                    code = 0 if server.started else 1
                except SystemExit as exc:
                    code = 0 if server.started and exc.code in (0, None) else 1
                except BaseException:
                    log.exception("server worker %d failed", os.getpid())
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            children.add(pid)
        log.info("serving with %d worker processes: %s", workers, " ".join(map(str, sorted(children))))
        while children:
            try:
                pid, wait_status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries os.wait by itself
                continue
            children.discard(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if not stopping:
                log.error("server worker %d exited (status %d): stopping the others", pid, code)
                stop(signal.SIGTERM, None)
                status = 1
            elif code != 0:
                status = 1
    finally:
        for pid in children:
            _kill(pid, signal.SIGKILL)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        gc.unfreeze()
    return status


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
