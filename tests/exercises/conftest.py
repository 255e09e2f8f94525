"""Fixtures for the exercise tests: a seeded store that ``connect()`` reaches, and helper processes."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from queuesim.connection import connect
from queuesim.exercises.seed import seed_store

#: Seconds a helper process gets to print an expected line or to exit.
PROCESS_DEADLINE = 20.0


@pytest.fixture
def store(connected: object) -> Iterator[redis.Redis]:
    """A client on the test's store as ``connect()`` sees it (embedded or REDIS_URL), seeded."""
    client = connect()
    seed_store(client)
    yield client
    client.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Proc:
    """A ``python -m queuesim ...`` child process whose output lines can be awaited with a deadline."""

    def __init__(self, args: list[str], url: str | None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env["PYTHONUNBUFFERED"] = "1"
        if url is not None:
            env["REDIS_URL"] = url
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "queuesim", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # As from a terminal: a suite started in the background inherits SIGINT ignored,
            # and Python then never turns Ctrl-C into KeyboardInterrupt.
            preexec_fn=_default_sigint,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, predicate: Callable[[str], bool], timeout: float = PROCESS_DEADLINE) -> str:
        """The first new stdout line matching ``predicate``; fails if none comes before the deadline."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"process ended before the expected line; stdout so far: {self.seen}")
            self.seen.append(line)
            if predicate(line):
                return line
        pytest.fail(f"no expected line within {timeout} s; stdout so far: {self.seen}")

    def finish(self, timeout: float = PROCESS_DEADLINE) -> tuple[int, list[str], str]:
        """Wait for the exit; returns the exit code, every stdout line and the whole stderr."""
        try:
            returncode = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            pytest.fail(f"process did not exit within {timeout} s; stdout so far: {self.seen}")
        self._reader.join(timeout)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        assert self.popen.stderr is not None
        return returncode, self.seen, self.popen.stderr.read()

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process."""
        self.popen.send_signal(signum)

    def stop(self) -> None:
        """Make sure the process is gone (used on teardown)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(PROCESS_DEADLINE)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def spawn() -> Iterator[Callable[..., Proc]]:
    """Starts ``python -m queuesim <args>`` processes (``url=`` sets REDIS_URL); stops them afterwards."""
    procs: list[Proc] = []

    def start(*args: str, url: str | None = None) -> Proc:
        proc = Proc(list(args), url)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.stop()


@pytest.fixture
def shared_url(store_url: str | None, spawn: Callable[..., Proc]) -> str:
    """A URL several processes share: REDIS_URL's server, or a ``queuesim store`` process on a free port."""
    if store_url is not None:
        client = redis.Redis.from_url(store_url, decode_responses=True)
        seed_store(client)
        client.close()
        return store_url
    proc = spawn("store", "--port", "0")
    line = proc.wait_line(lambda text: text.startswith("Serving the embedded store at "))
    return line.split(" at ", 1)[1].split()[0]
