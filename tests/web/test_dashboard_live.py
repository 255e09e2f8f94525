"""The dashboard's live side: server-sent events from the queues' streams, and stopping cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import fakeredis
import httpx
import pytest
import redis
import redis.asyncio
from dashtools import LiveServer, free_port, wait_for

from queuesim import Queue
from queuesim.cli import main
from queuesim.web import dashboard
from queuesim.web.common import RedisRunner
from queuesim.web.dashboard import check_bind, is_loopback
from queuesim.web.live import EventPump, Subscription, event_stream

REAL_URL = os.environ.get("REDIS_URL") or None


@pytest.fixture
def live(source: Any) -> Iterator[LiveServer]:
    server = LiveServer(source, block_ms=100).start()
    yield server
    if server.thread.is_alive():
        server.stop()


class SseReader:
    """Reads ``event:``/``data:`` messages from an open ``text/event-stream`` response."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.comments = 0

    def next(self) -> tuple[str, Any]:
        event, data = "message", None
        for line in self.lines:
            if line.startswith(":"):
                self.comments += 1
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                return event, data
        raise EOFError("the stream ended")

    def until(self, check: Any, limit: int = 50) -> list[dict[str, Any]]:
        """Job events until one satisfies ``check``."""
        seen: list[dict[str, Any]] = []
        for _ in range(limit):
            kind, data = self.next()
            if kind == "jobs":
                seen += data
                if any(check(e) for e in data):
                    return seen
        raise AssertionError(f"no matching event in {seen}")


def test_events_follow_the_queues_then_stop_when_the_browser_leaves(live: LiveServer, r: redis.Redis) -> None:
    email = Queue("email", redis=r)
    email.add({"n": 0})  # the queue exists before the stream opens: only newer events come
    pump = live.app.state.live
    with httpx.stream("GET", f"{live.base}/events", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        reader = SseReader(response)
        assert reader.next() == ("hello", {"redis": "up"})
        wait_for(lambda: pump.running, what="the pump to start")
        job = email.add({"n": 1})
        events = reader.until(lambda e: e["id"] == job.id)
        assert [(e["type"], e["id"], e["event"], e["args"]) for e in events] == [
            ("email", job.id, "enqueue", ["email", "inactive"])]
        assert isinstance(events[0]["at"], int)
        video = Queue("video", redis=r)  # a queue that appears while the stream is open
        clip = video.add({"f": 1})
        assert reader.until(lambda e: e["type"] == "video")[-1]["id"] == clip.id
        httpx.put(f"{live.base}/job/{job.id}/priority/high", params={"type": "email"}).raise_for_status()
        moved = reader.until(lambda e: e["event"] == "priority")
        assert moved[-1] == {"type": "email", "id": job.id, "event": "priority", "args": [-10], "at": None,
                             "stream_id": None}
        assert pump.subscribers == 1
    wait_for(lambda: pump.subscribers == 0 and not pump.running, what="the stream and the pump to end")


def test_results_are_left_out_of_live_events(live: LiveServer, r: redis.Redis) -> None:
    queue = Queue("email", redis=r)
    with httpx.stream("GET", f"{live.base}/events", timeout=10) as response:
        reader = SseReader(response)
        reader.next()
        wait_for(lambda: live.app.state.live.running, what="the pump to start")
        job = queue.add({"n": 1})
        from queuesim import Worker

        Worker(queue, lambda j: {"big": "x" * 10_000}).run(burst=True)
        events = reader.until(lambda e: e["event"] == "complete")
    complete = [e for e in events if e["event"] == "complete"]
    assert complete == [{"type": "email", "id": job.id, "event": "complete", "args": [], "at": complete[0]["at"],
                         "stream_id": complete[0]["stream_id"]}]


def test_shutdown_ends_open_streams_at_once(source: Any) -> None:
    live = LiveServer(source, block_ms=100).start()
    ended: list[str] = []

    def watch() -> None:
        with httpx.stream("GET", f"{live.base}/events", timeout=30) as response:
            reader = SseReader(response)
            try:
                while True:
                    reader.next()
            except EOFError:
                ended.append("eof")

    readers = [threading.Thread(target=watch, daemon=True) for _ in range(3)]
    for t in readers:
        t.start()
    wait_for(lambda: live.app.state.live.subscribers == 3, what="three subscribers")
    took = live.stop()
    assert took < 3  # uvicorn would otherwise wait for the streams forever
    for t in readers:
        t.join(5)
    assert ended == ["eof"] * 3
    assert not live.app.state.live.running


def test_the_pump_says_when_redis_goes_down_and_comes_back(backend: str, r: redis.Redis) -> None:
    if backend != "fake":
        pytest.skip("uses the fake server's switch")
    server = r.connection_pool.connection_kwargs["server"]
    Queue("email", redis=r).add({})

    async def go() -> list[Any]:
        pump = EventPump(RedisRunner(fakeredis.FakeAsyncRedis(server=server, decode_responses=True)), "qs",
                         block_ms=20)
        got: list[Any] = []
        async with pump.subscribe() as sub:
            await asyncio.sleep(0.1)
            server.connected = False
            got.append(await sub.get(5))
            server.connected = True
            got.append(await sub.get(5))
            Queue("email", redis=r).add({})
            got.append((await sub.get(5) or ("?", []))[1][0]["event"])
        await pump.aclose()
        return got

    assert asyncio.run(go()) == [("status", {"redis": "down"}), ("status", {"redis": "up"}), "enqueue"]


def test_a_subscriber_too_far_behind_is_dropped() -> None:
    async def go() -> list[Any]:
        sub = Subscription()
        for n in range(150):
            sub.put(("jobs", [n]))
        return [sub.closed, await sub.get(1)]

    assert asyncio.run(go()) == [True, None]  # the browser reconnects and reloads


def test_the_stream_sends_keepalives_and_ends_when_the_client_leaves(r: redis.Redis) -> None:
    async def go() -> list[str]:
        pump = EventPump(RedisRunner(r), "qs", block_ms=10)
        left = asyncio.Event()

        async def is_disconnected() -> bool:
            return left.is_set()

        chunks: list[str] = []
        async for chunk in event_stream(pump, is_disconnected, keepalive=0.05, check_every=0.02):
            chunks.append(chunk)
            if chunk.startswith(":"):
                left.set()
        await pump.aclose()
        return chunks

    chunks = asyncio.run(go())
    assert chunks[:2] == ["retry: 2000\n\n", 'event: hello\ndata: {"redis":"up"}\n\n']
    assert chunks[2:] == [": keep-alive\n\n"]


def test_a_stopped_pump_ends_new_streams_at_once(r: redis.Redis) -> None:
    async def go() -> list[str]:
        pump = EventPump(RedisRunner(r), "qs")
        pump.stop()

        async def never() -> bool:
            return False

        return [chunk async for chunk in event_stream(pump, never)]

    assert len(asyncio.run(go())) == 2  # retry and hello, then the end


# ---------------------------------------------------------------------- serving from the command line
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.8.9.10"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "no-such-host.invalid"])
def test_other_hosts_need_a_token(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="without a token"):
        check_bind(host, None)
    check_bind(host, "t0ken")


def test_serve_refuses_to_listen_beyond_loopback_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QUEUESIM_DASHBOARD_TOKEN", raising=False)
    calls: list[Any] = []
    monkeypatch.setattr(dashboard, "serve", lambda app, host, port, **kw: calls.append((app, host, port)) or 0)
    assert main(["serve", "dashboard", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "queuesim serve dashboard: refusing to listen on '0.0.0.0' without a token" in err
    assert calls == []
    assert main(["serve", "dashboard", "--host", "0.0.0.0", "--token", "a b"]) == 2
    assert "printable ASCII without spaces" in capsys.readouterr().err
    assert main(["serve", "dashboard", "--redis", "http://x"]) == 2
    assert "must start with redis://" in capsys.readouterr().err
    assert main(["serve", "dashboard", "--host", "0.0.0.0", "--token", "s3cret", "--port", "8080"]) == 0
    assert [(c[1], c[2], c[0].state.token_required) for c in calls] == [("0.0.0.0", 8080, True)]
    monkeypatch.setenv("QUEUESIM_DASHBOARD_TOKEN", "from-env")
    assert main(["serve", "dashboard", "--host", "0.0.0.0"]) == 0
    assert calls[-1][0].state.token_required
    monkeypatch.delenv("QUEUESIM_DASHBOARD_TOKEN")
    assert main(["serve", "dashboard"]) == 0
    assert (calls[-1][1], calls[-1][2], calls[-1][0].state.token_required) == ("127.0.0.1", 1246, False)


def test_serve_dashboard_subprocess_stops_cleanly_with_a_stream_open(
    shared_store: tuple[str, redis.Redis],
) -> None:
    url, client = shared_store
    Queue("email", redis=client).add({"to": "a"})
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUEUESIM_DASHBOARD_TOKEN")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuesim", "serve", "dashboard", "--port", str(port), "--redis", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                return httpx.get(f"{base}/stats", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=30, what="the server")
        assert httpx.get(f"{base}/stats").json()["inactiveCount"] == 1
        with httpx.stream("GET", f"{base}/events", timeout=10) as response:
            reader = SseReader(response)
            assert reader.next()[0] == "hello"
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with pytest.raises((EOFError, httpx.RemoteProtocolError)):
                reader.until(lambda e: False, limit=10**6)  # reads until the server ends the stream
        _, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Application shutdown complete" in err
