"""Run a web app with uvicorn until Ctrl-C or SIGTERM, then shut down gracefully and return 0.

Long-lived responses (server-sent events) never finish by themselves, and
uvicorn waits for open responses before it shuts down; ``on_shutdown``
callbacks run as soon as shutdown starts, so such responses can end at once.
"""

from __future__ import annotations

import copy
import signal
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "build_server", "serve"]

#: Listen on loopback only unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
#: The course's port.
DEFAULT_PORT = 1245

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    **uvicorn_options: Any,
) -> int:
    """Serve ``app`` on ``host:port`` with one uvicorn worker; blocks until stopped.

    Ctrl-C or SIGTERM stops accepting connections, lets requests in flight
    finish, runs the app's shutdown (closing its Redis client) and returns 0.

    Returns:
        0 after a clean stop, 1 if the server could not start.
    """
    server = build_server(
        app, host, port, log_level=log_level, access_log=access_log, on_shutdown=on_shutdown, **uvicorn_options
    )
    # uvicorn handles the signal itself, then re-raises it once shut down so that a
    # default handler would kill the process; with this one the command returns 0.
    in_main = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = {sig: signal.signal(sig, _ignore) for sig in _STOP_SIGNALS} if in_main else {}
    try:
        server.run()
    except SystemExit:
        if server.started:
            raise
        return 1  # uvicorn exits when it cannot bind the port (it has logged why)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if server.started else 1
