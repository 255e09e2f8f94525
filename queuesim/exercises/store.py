"""Serve the embedded store over TCP, so separate processes can share it without a Redis server.

The embedded store (a fakeredis server) lives inside one process: a subscriber
in one terminal and a publisher in another would each get their own. ``queuesim
store`` serves the seeded embedded store on a local port with fakeredis's
``TcpFakeServer``; point every process at it with
``REDIS_URL=redis://127.0.0.1:6390/0``. Commands, Lua scripts and pub/sub work
through it. It is a teaching aid, not a Redis server: no persistence, no auth.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import fakeredis

from queuesim.connection import embedded_server
from queuesim.exercises.stopping import stop_on_signals

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_URL", "make_store_server", "serve_store", "server_url"]

#: Loopback only: the store has no password.
DEFAULT_HOST = "127.0.0.1"
#: Not 6379, so it never collides with (or is mistaken for) a real Redis server.
DEFAULT_PORT = 6390
#: Where the store listens by default, as other processes name it.
DEFAULT_URL = f"redis://{DEFAULT_HOST}:{DEFAULT_PORT}/0"
#: How often the main thread looks whether a signal asked it to stop (seconds).
_POLL_SECONDS = 0.1


def make_store_server(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, server: fakeredis.FakeServer | None = None
) -> fakeredis.TcpFakeServer:
    """A TCP server (bound, not yet serving) for ``server``, by default the embedded store.

    ``port`` 0 picks a free port; read it back with :func:`server_url`.

    Raises:
        OSError: the address cannot be bound (e.g. the port is in use).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}")
    tcp = fakeredis.TcpFakeServer((host, port))
    # TcpFakeServer makes a fresh FakeServer; serve the (seeded) embedded store instead.
    tcp.fake_server = server if server is not None else embedded_server()
    return tcp


def server_url(tcp: fakeredis.TcpFakeServer, db: int = 0) -> str:
    """The ``redis://`` URL that reaches ``tcp``."""
    host, port = tcp.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    return f"redis://{host}:{port}/{db}"


def serve_store(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, announce: Callable[[str], object] = print
) -> int:
    """Serve the embedded store until Ctrl-C or SIGTERM (see :mod:`queuesim.exercises.stopping`).

    ``announce`` is called with the lines telling where the store is. Returns
    the exit code: 1 when the port cannot be bound, 128 + the signal's number
    after a signal.
    """
    try:
        tcp = make_store_server(host, port)
    except OSError as exc:
        print(
            f"queuesim store: cannot listen on {host}:{port}: {exc.strerror or exc}"
            " (another `queuesim store` or a Redis server?); choose another with --port",
            file=sys.stderr,
        )
        return 1
    url = server_url(tcp)
    announce(f"Serving the embedded store at {url} (Ctrl-C to stop)")
    announce(f"In other terminals: export REDIS_URL={url}")
    with stop_on_signals() as stopping:
        serving = threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.1}, name="store")
        serving.start()
        try:
            while not stopping.is_set() and serving.is_alive():
                time.sleep(_POLL_SECONDS)  # a signal cuts the sleep short and marks the flag
        finally:
            tcp.shutdown()
            tcp.server_close()
            serving.join()
    return stopping.exit_code
