"""Helpers for the dashboard tests: a dashboard served by uvicorn in a thread, and seeded queues."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from queuesim import Queue, Worker
from queuesim.web.dashboard import create_dashboard_app
from queuesim.web.serve import build_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``create_dashboard_app(source, **options)`` on a real socket, served from a thread."""

    def __init__(self, source: Any, **options: Any) -> None:
        self.app = create_dashboard_app(source, **options)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = build_server(self.app, "127.0.0.1", self.port, log_level="warning",
                                   on_shutdown=[self.app.state.live.stop])
        self.thread = threading.Thread(target=self.server.run, name="dashboard-server", daemon=True)

    def start(self, timeout: float = 20.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            assert self.thread.is_alive(), "the server thread died"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> float:
        """Stop like SIGTERM does; returns how long the shutdown took (s)."""
        started = time.monotonic()
        self.server.should_exit = True
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the server did not stop"
        return time.monotonic() - started


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (or fail after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def seed(client: redis.Redis) -> dict[str, Queue]:
    """Two queues with jobs in every state but active: email (2 complete, 1 failed, 2 waiting,
    1 delayed) and video (1 waiting, high priority)."""
    email = Queue("email", redis=client)
    video = Queue("video", redis=client)
    for to in ("ada@example.com", "bob@example.com", "cy@example.com"):
        email.add({"to": to, "subject": "Welcome"})

    def send(job: Any) -> Any:
        job.progress(1, 2)
        job.log("connecting to smtp for %s", job.data["to"])
        if job.data["to"].startswith("bob"):
            raise ConnectionError("SMTP server refused the connection")
        job.progress(2, 2)
        return {"delivered": True}

    Worker(email, send).run(burst=True)
    email.add({"to": "dee@example.com", "subject": "Reminder"}, priority="high")
    email.add({"to": "eve@example.com", "subject": "Digest"}, priority="low")
    email.add({"to": "fay@example.com", "subject": "Later"}, delay=3_600_000)
    video.add({"file": "talk.mp4", "format": "webm"}, priority="critical", attempts=3)
    return {"email": email, "video": video}
