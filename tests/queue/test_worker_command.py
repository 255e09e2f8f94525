"""``queuesim worker``: usage errors, per-job log lines, and P processes x N threads through SIGTERM and
a Redis that is killed and restarted mid-run (each on its own ``redis-server``)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from polling import wait_for
from redis_server import RedisServer

from queuesim.queue import Queue
from queuesim.queue.invariants import check_invariants

HERE = Path(__file__).parent


def worker_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "queuesim.cli", "worker", "--path", str(HERE), *args]


def run_worker(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(worker_args(*args), capture_output=True, text=True, timeout=timeout, check=False,
                          env=env)



@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    own = RedisServer(tmp_path).start()
    yield own
    own.stop()


def no_url_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUEUESIM_EMBEDDED")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cmd_handlers",), "must be MODULE:HANDLER"),
        (("no_such_module:run", "--redis", "redis://127.0.0.1:1/0"), "cannot import module 'no_such_module'"),
        (("cmd_handlers:nope", "--redis", "redis://127.0.0.1:1/0"), "has no 'nope'"),
        (("cmd_handlers:NOT_CALLABLE", "--redis", "redis://127.0.0.1:1/0"), "is a int, not a function"),
        (("cmd_handlers:quick", "--redis", "http://x"), "must start with redis://"),
        (("cmd_handlers:quick", "--redis", "redis://127.0.0.1:1/0", "-q", "a{b}"), "braces"),
        (("cmd_handlers:quick",), "no Redis server given: pass --redis URL or set REDIS_URL"),
        (("cmd_handlers:quick", "--embedded", "-p", "2"), "cannot be shared by several processes"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = run_worker(*args, env=no_url_env())
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert done.stderr.count("\n") == 1  # one line, no traceback
    assert done.stderr.startswith("queuesim worker: ")


@pytest.mark.parametrize("bad", [["-c", "0"], ["-p", "-1"], ["--shutdown-timeout", "x"], ["--log-format", "xml"]])
def test_bad_numbers_and_choices_are_usage_errors(bad: list[str]) -> None:
    done = run_worker("cmd_handlers:quick", "--redis", "redis://127.0.0.1:1/0", *bad)
    assert done.returncode == 2
    assert "usage: queuesim worker" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_embedded_store_only_when_asked() -> None:
    done = run_worker("cmd_handlers:quick", "--embedded", "--burst", env=no_url_env())
    assert done.returncode == 0, done.stderr
    assert "EmbeddedStoreWarning" not in done.stderr
    assert "stopped: 0 completed" in done.stderr


def test_one_info_line_per_job_start_and_end(server: RedisServer) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("mail", redis=client)
    q.add("7")
    q.add("bad", attempts=2)
    done = run_worker("cmd_handlers:nap", "-q", "mail", "--redis", server.url, "--burst", "--log-format", "json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    jobs = [(e["event"], e["job"], e["attempt"]) for e in lines if "job" in e]
    assert jobs == [("start", "1", 1), ("complete", "1", 1), ("start", "2", 1), ("failed", "2", 1),
                    ("start", "2", 2), ("failed", "2", 2)]
    ends = [e for e in lines if e.get("event") in ("complete", "failed")]
    assert all(e["level"] == "INFO" and e["queue"] == "mail" and e["duration_ms"] >= 0 for e in ends)
    assert ends[1]["message"].startswith("job 2 of mail failed in ")
    assert "(attempt 1 of 2, will retry)" in ends[1]["message"]
    assert "(attempt 2 of 2, no attempts left)" in ends[2]["message"]
    assert ends[1]["error"] == "invalid literal for int() with base 10: 'bad'"
    assert q.get_job(1).result == 7
    client.close()


def test_several_queues_each_get_a_worker(server: RedisServer) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    mail, video = Queue("mail", redis=client), Queue("video", redis=client)
    mail.create_bulk(["a", "b"])
    video.create_bulk(["c"])
    done = run_worker("cmd_handlers:quick", "-q", "mail", "-q", "video", "--redis", server.url, "--burst", "-c", "2")
    assert done.returncode == 0, done.stderr
    assert "on queues mail, video, 2 threads each" in done.stderr
    assert sorted(j.result for j in mail.jobs("complete")) == ["a", "b"]
    assert [j.result for j in video.jobs("complete")] == ["c"]
    client.close()


def test_an_async_handler_runs_as_tasks(server: RedisServer) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("default", redis=client)
    q.create_bulk(range(10))
    done = run_worker("cmd_handlers:async_quick", "--redis", server.url, "--burst", "-c", "5")
    assert done.returncode == 0, done.stderr
    assert "5 asyncio tasks each" in done.stderr
    assert sorted(j.result for j in q.jobs("complete")) == list(range(10))
    client.close()


class Running:
    """A ``queuesim worker`` process whose log goes to a file (a pipe nobody reads would fill and block it)."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self.file = log.open("w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.file, text=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, how: int = signal.SIGTERM) -> str:
        """Signal it; its log once it exited (a worker still running 60 s later fails the test)."""
        self.proc.send_signal(how)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the worker did not stop within 60 s of the signal:\n{self.text()}")
        finally:
            self.file.close()
        return self.text()

    def text(self) -> str:
        return self.log.read_text()


def test_isolate_runs_each_job_in_a_child_process(server: RedisServer) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("default", redis=client)
    q.create_bulk([{"sleep": 0}] * 3)
    done = run_worker("cmd_handlers:hang_and_tell", "--redis", server.url, "--burst", "--isolate", "-c", "2")
    assert done.returncode == 0, done.stderr
    assert "a child process per job" in done.stderr
    assert q.counts()["complete"] == 3
    pids = client.lrange("horse-pids", 0, -1)
    assert len(set(pids)) == 3  # a process of its own for each job
    client.close()


def _start(server: RedisServer, handler: str, queue: str, log: Path, *more: str) -> Running:
    return Running(worker_args(handler, "-q", queue, "--redis", server.url, "--processes", "2", "--concurrency", "4",
                               "--heartbeat", "0.2", *more), log)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigterm_mid_run_loses_nothing_and_leaves_nothing_half_done(server: RedisServer, tmp_path: Path) -> None:
    """2 processes x 4 threads; SIGTERM while jobs run: every started job finished, the rest wait, none lost."""
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("work", redis=client)
    n = 300
    q.create_bulk(range(n))
    worker = _start(server, "cmd_handlers:slow", "work", tmp_path / "worker.log")
    try:
        wait_for(lambda: client.llen("done") >= 40, what="40 jobs done")
        wait_for(lambda: client.zcard("qs:workers") == 2, what="2 workers registered")
    except BaseException:
        worker.stop(signal.SIGKILL)
        raise
    err = worker.stop()  # mid-run: 8 jobs are running
    assert worker.proc.returncode == 0, err
    started, finished = client.lrange("started", 0, -1), client.lrange("done", 0, -1)
    assert Counter(started) == Counter(finished)  # nothing half-done: every job that started, finished
    counts = q.counts()
    assert counts["active"] == 0
    assert counts["failed"] == 0
    assert counts["complete"] == len(set(finished))  # each finished run was recorded
    assert counts["complete"] + counts["inactive"] == n  # nothing lost: the rest waits
    assert 0 < counts["inactive"] < n - 40
    assert check_invariants(client, q.keys) == []
    assert len(re.findall(r"worker process \d+ stopped by SIGTERM", err)) == 2  # both stopped gracefully
    assert client.zcard("qs:workers") == 0  # and left the registry
    # a second run finishes the rest: every job ran, and ran once
    again = run_worker("cmd_handlers:slow", "-q", "work", "--redis", server.url, "-p", "2", "-c", "4", "--burst")
    assert again.returncode == 0, again.stderr
    assert q.counts()["complete"] == n
    assert sorted(Counter(client.lrange("done", 0, -1)).values()) == [1] * n
    client.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_redis_killed_and_restarted_mid_run(server: RedisServer, tmp_path: Path) -> None:
    """The workers ride out the outage (one line when Redis is lost, one when back) and every job completes."""
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=5)
    q = Queue("work", redis=client)
    n = 600
    q.create_bulk(range(n))
    worker = _start(server, "cmd_handlers:nap", "work", tmp_path / "worker.log")
    try:
        wait_for(lambda: client.zcard("qs:workers") == 2, what="both worker processes running")
        wait_for(lambda: q.counts()["complete"] >= 50, what="50 jobs complete")
        server.kill()
        time.sleep(1.5)  # the outage itself: Redis is down this long (what is tested is what follows)
        assert worker.alive()
        server.start()
        wait_for(lambda: _count(q) == n, timeout=120, what="every job complete")
        assert worker.alive()  # the supervisor and its workers lived through it
    finally:
        err = worker.stop()
    assert worker.proc.returncode == 0, err
    lost = [line for line in err.splitlines() if "lost Redis" in line]
    back = [line for line in err.splitlines() if "Redis is back after" in line]
    assert len(lost) == 2, err  # one line per worker process when Redis went away ...
    assert len(back) == 2, err  # ... and one when it came back
    assert "Traceback" not in err
    counts = q.counts()
    assert counts == {"inactive": 0, "active": 0, "complete": n, "failed": 0, "delayed": 0}
    assert sorted(int(j.result) for j in q.jobs("complete")) == list(range(n))
    assert check_invariants(client, q.keys) == []
    client.close()


def _count(q: Queue) -> int:
    with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
        return q.counts()["complete"]
    return 0


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_signal_while_the_processes_start_stops_them_cleanly(server: RedisServer, tmp_path: Path, how: str) -> None:
    """Ctrl-C (SIGINT to the whole process group) or SIGTERM to the supervisor just after it started its worker
    processes, while they are still importing: they stop gracefully, no traceback, exit code 0."""
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(worker_args("cmd_handlers:quick", "--redis", server.url, "-p", "2"),
                                stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
        try:
            wait_for(lambda: "started 2 worker processes" in log.read_text(), what="the supervisor's first line")
            if how == "ctrl-c":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    err = log.read_text()
    assert code == 0, err
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err
    assert "every worker process stopped\n" in err  # none "with an error"


@pytest.mark.parametrize(("handler", "processes", "how"), [
    ("held", 1, signal.SIGINT), ("held", 1, signal.SIGTERM), ("held", 2, signal.SIGTERM),
    ("async_held", 1, signal.SIGINT),
])
def test_the_first_signal_says_at_once_that_it_waits_for_the_running_jobs(
    server: RedisServer, tmp_path: Path, handler: str, processes: int, how: signal.Signals,
) -> None:
    """A graceful stop is not silent: while the running jobs are still held, the log already says what it waits
    for and how to stop at once (one line per worker process, and one from the supervisor)."""
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("held", redis=client)
    q.create_bulk(["a", "b"])
    worker = Running(worker_args(f"cmd_handlers:{handler}", "-q", "held", "--redis", server.url, "-p", str(processes),
                                 "-c", str(2 // processes), "--shutdown-timeout", "30"), tmp_path / "worker.log")
    try:
        wait_for(lambda: client.llen("held-started") == 2, what="both jobs running")
        worker.proc.send_signal(how)
        waiting = f"stopping: waiting for {2 // processes} running job(s), up to 30 s"
        wait_for(lambda: worker.text().count(waiting) == processes, what="the stopping lines")
        assert client.llen("held-started") == 2
        assert q.counts()["active"] == 2  # said while the jobs still run, not after
    finally:
        for job_id in client.lrange("held-started", 0, -1):
            client.rpush(f"release:{job_id}", 1)
        try:
            code = worker.proc.wait(60)
        finally:
            if worker.proc.poll() is None:
                worker.proc.kill()
                worker.proc.wait()
            worker.file.close()
    err = worker.text()
    assert code == 0, err
    again = "Ctrl-C again to stop at once (running jobs go back to their queue)"
    if processes == 1:
        [line] = [line for line in err.splitlines() if "stopping:" in line]
        assert line.endswith(waiting + "; " + again)
    else:
        [line] = [line for line in err.splitlines() if "stopping 2 worker process(es)" in line]
        assert line.endswith("running jobs finish, up to 30 s; " + again)
        assert " supervisor[" in line
    assert q.counts()["complete"] == 2  # and the jobs did finish
    client.close()


def test_a_second_signal_says_the_running_jobs_go_back(server: RedisServer, tmp_path: Path) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("held", redis=client)
    q.add("a")
    worker = Running(worker_args("cmd_handlers:held", "-q", "held", "--redis", server.url), tmp_path / "worker.log")
    try:
        wait_for(lambda: client.llen("held-started") == 1, what="the job running")
        worker.proc.send_signal(signal.SIGINT)
        wait_for(lambda: "stopping: waiting for 1 running job(s)" in worker.text(), what="the first line")
        worker.proc.send_signal(signal.SIGINT)
        wait_for(lambda: "stopping at once: the running jobs go back to their queue" in worker.text(),
                 what="the second line")
        code = worker.proc.wait(60)
    finally:
        client.rpush(f"release:{q.get_job(1).id}", 1)
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait()
        worker.file.close()
    assert code == 0, worker.text()
    assert "stopped by SIGINT: 0 completed, 0 failed, 1 given back" in worker.text()
    assert q.counts()["inactive"] == 1
    client.close()


def _documented_job_lines() -> list[str]:
    """The example lines of docs/production.md's "One line per job"."""
    text = (HERE.parent.parent / "docs" / "production.md").read_text()
    section = text.split("### One line per job", 1)[1]
    return section.split("```", 2)[1].strip().splitlines()


def _shape(line: str) -> str:
    """A log line with its numbers (time, pid, job id, duration, attempt) blurred."""
    return re.sub(r"\d+(\.\d+)?", "#", line)


def test_the_documented_job_lines_are_what_the_worker_prints(server: RedisServer) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    q = Queue("email", redis=client)
    q.add("hello", attempts=3)
    q.add("refuse", attempts=3)
    done = run_worker("cmd_handlers:email", "-q", "email", "--redis", server.url, "--burst")  # the default -p 1
    assert done.returncode == 0, done.stderr
    printed = {_shape(line) for line in done.stderr.splitlines()}
    documented = _documented_job_lines()
    assert len(documented) == 3
    for line in documented:
        assert _shape(line) in printed, (line, done.stderr)
    client.close()
