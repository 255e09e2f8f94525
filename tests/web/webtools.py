"""Helpers for the web tests: a TCP proxy that can cut or stall Redis, free ports, the app behind a client,
polling with a deadline."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient


def app_of(client: TestClient) -> FastAPI:
    """The app behind a test client."""
    app = client.app
    assert isinstance(app, FastAPI)
    return app


class TcpProxy:
    """A TCP proxy in front of a Redis server that a test can cut (port closed), stall, and restore."""

    def __init__(self, target: tuple[str, int], db: int = 0) -> None:
        self.target = target
        self.db = db
        self.port = 0
        self.stalled = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    @property
    def url(self) -> str:
        """The proxy's Redis URL."""
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def restore(self) -> None:
        """Listen again on the same port and forward new connections."""
        self.stalled = False
        if self._listener is None:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            self.port = self._listener.getsockname()[1]
            threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        """Redis is gone: close every connection and the port."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def stall(self) -> None:
        """Redis hangs: connections are accepted but nothing is ever answered."""
        self.cut()
        self.restore()
        self.stalled = True

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.add(conn)
            if self.stalled:
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                conn.close()
                continue
            with self._lock:
                self._sockets.add(upstream)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def worker_threads() -> int:
    """How many seat workers run in this process."""
    return sum(t.name == "seat-worker" and t.is_alive() for t in threading.enumerate())
