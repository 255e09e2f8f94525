"""No silent store: a program that is not interactive and falls back to the embedded store is warned, once;
an explicit choice, a notebook and the ``queuesim`` exercises are silent. Startup waits for Redis."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest
from redis_server import RedisServer, free_port

import queuesim.connection
from queuesim.connection import EMBEDDED_ENV, EmbeddedStoreWarning, connect
from queuesim.errors import ConnectionFailed

PRODUCER = textwrap.dedent("""
    import queuesim
    q = queuesim.Queue("emails")
    q.add({"to": "ada"})
    queuesim.Queue("other").add(1)
    queuesim.Worker(q, lambda job: None)
    print("saved", q.counts()["inactive"])
""")


def clean_env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", EMBEDDED_ENV)}
    return {**env, **more}


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_producer_without_a_url_is_warned_once_naming_the_store_and_the_way_out() -> None:
    done = run_python(PRODUCER, clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "saved 1"
    assert done.stderr.count("EmbeddedStoreWarning") == 1  # two queues and a worker: one warning
    assert "embedded store" in done.stderr
    assert "REDIS_URL=redis://" in done.stderr
    assert f"{EMBEDDED_ENV}=1" in done.stderr
    assert "connect(embedded=True)" in done.stderr


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_an_explicit_choice_is_silent(how: str) -> None:
    if how == "environment":
        done = run_python(PRODUCER, clean_env(**{EMBEDDED_ENV: "1"}))
    else:
        code = PRODUCER.replace('queuesim.Queue("emails")', 'queuesim.Queue("emails", redis=queuesim.connect('
                                                             'embedded=True))')
        code = code.replace('queuesim.Queue("other")', 'queuesim.Queue("other", redis=queuesim.connect('
                                                       'embedded=True))')
        done = run_python(code, clean_env())
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr


def test_a_repl_is_silent() -> None:
    done = run_python(PRODUCER, clean_env(), "-i")
    assert done.returncode == 0, done.stderr
    assert "EmbeddedStoreWarning" not in done.stderr


def test_the_exercises_stay_silent() -> None:
    done = subprocess.run([sys.executable, "-m", "queuesim.cli", "exercise", "0-redis_client"], env=clean_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Redis client connected to the server" in done.stdout
    assert "Warning" not in done.stderr


def test_a_notebook_is_silent(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(PRODUCER)]
    old = {k: os.environ.pop(k) for k in ("REDIS_URL", EMBEDDED_ENV) if k in os.environ}
    try:  # the kernel inherits this environment
        nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    finally:
        os.environ.update(old)
    outputs = notebook.cells[0].outputs
    assert [o.get("text", "").strip() for o in outputs if o.get("name") == "stdout"] == ["saved 1"]
    assert not [o for o in outputs if o.get("name") == "stderr"]


@pytest.fixture
def unwarned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv(EMBEDDED_ENV, raising=False)
    monkeypatch.setattr(queuesim.connection, "_warned", False)
    monkeypatch.setattr(queuesim.connection, "_embedded", None)
    return


def test_in_process_the_warning_comes_once(unwarned: None) -> None:
    from queuesim import AsyncQueue, Queue

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Queue("a").close()
        Queue("b").close()
        AsyncQueue("c")
        connect(embedded=True)
    assert [w.category for w in caught] == [EmbeddedStoreWarning]


def test_startup_waits_for_a_redis_that_comes_up_late(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = RedisServer(tmp_path, free_port())
    starter = threading.Timer(1.0, server.start)  # Redis comes up a second after the program
    starter.start()
    try:
        with caplog.at_level(logging.WARNING, logger="queuesim"):
            client = connect(server.url, backoff=0.05, wait=30)
        assert client.ping()
        client.close()
    finally:
        starter.join()
        server.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "queuesim"]
    assert len(lines) == 2, lines  # one when it starts waiting, one when Redis answers
    assert lines[0].startswith(f"waiting for Redis at {server.url}")
    assert lines[1].startswith(f"Redis at {server.url} answered after")


def test_waiting_is_bounded_in_time(caplog: pytest.LogCaptureFixture) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="queuesim"), \
            pytest.raises(ConnectionFailed, match=r"no Redis server answered at .* after \d+ attempts"):
        connect(url, backoff=0.05, max_backoff=0.2, wait=1.0)
    assert time.monotonic() - started < 10
    assert len([r for r in caplog.records if r.name == "queuesim"]) == 1  # one line, however many tries


def test_a_stop_ends_an_endless_wait() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(ConnectionFailed):
        connect(url, wait=None, backoff=0.05, stop=stop.is_set)
