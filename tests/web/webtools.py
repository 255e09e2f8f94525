"""Helpers for the web tests: a TCP proxy that can cut or stall Redis, free ports, the app behind a client,
polling with a deadline, a ``queuesim serve`` subprocess and a load of concurrent requests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import IO

import httpx
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


def free_port() -> int:
    """A local port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``queuesim serve <service>`` subprocess on a free port; its output is collected as it comes.

    Args:
        service: ``stock`` or ``seats``.
        url: the Redis URL, or ``None`` for the server's own embedded store.
        options: more command-line options.
        ready_path: a route that answers 200 once the server is up.
    """

    def __init__(self, service: str, url: str | None, *options: str, ready_path: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        env = dict(os.environ)
        env.pop("REDIS_URL", None)  # no URL: the server's own embedded store
        command = [sys.executable, "-m", "queuesim", "serve", service, "--port", str(self.port), *options]
        if url is not None:
            command += ["--redis", url]
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, into: list[str]) -> None:
        assert stream is not None
        for line in stream:
            into.append(line.rstrip("\n"))

    def errors(self) -> str:
        """What the server wrote on standard error so far."""
        return "\n".join(self._err)

    def lines(self) -> list[str]:
        """What the server printed on standard output so far, line by line."""
        return list(self._out)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until ``ready_path`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "\n".join(self._err)
            try:
                if httpx.get(f"{self.base}{self.ready_path}", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the server did not answer in time")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then the exit status and what the server wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode, "\n".join(self._err)


async def hammer(url: str, n: int) -> Counter[int]:
    """``n`` GET requests to ``url`` at once, each on its own connection; the status codes counted."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        replies = await asyncio.gather(*(client.get(url) for _ in range(n)))
    return Counter(reply.status_code for reply in replies)


def hammer_now(url: str, n: int) -> Counter[int]:
    """:func:`hammer`, from synchronous code."""
    return asyncio.run(hammer(url, n))
