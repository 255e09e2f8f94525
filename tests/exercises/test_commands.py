"""The command line: ``queuesim exercise``, ``--list``, ``seed``, ``tour`` (in this process)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from queuesim.cli import main
from queuesim.exercises.pubsub import CHANNEL, KILL_SERVER

from .test_notifications_progress import RUN_BOTH_OUTPUT

LIST_OUTPUT = """\
0-redis_client       connect to Redis and say whether it worked
1-redis_op           SET and GET a school's value
2-redis_op_async     the same SET and GET with redis.asyncio and await
4-redis_advanced_op  store schools in a hash with HSET, read it back with HGETALL
5-subscriber         print messages on 'holberton school channel' until KILL_SERVER
5-publisher          publish four messages on 'holberton school channel', 100-400 ms apart
6-job_creator        queue one push notification job, print its id, then whether it completed
6-job_processor      send the notifications of push_notification_code jobs, until Ctrl-C
7-job_creator        queue 11 notification jobs, print their progress, failures and completions
7-job_processor      run push_notification_code_2 jobs two at a time, failing blacklisted numbers
8-job-main           create_push_notifications_jobs: queue one job on push_notification_code_3
9-stock              serve 'In stock?' on port 1245: list products, reserve them without overselling
100-seat             serve 'Can I have a seat?' on port 1245: reserve seats through a job queue
"""

TOUR_OUTPUT = """\
== 0-redis_client: connect to Redis and say whether it worked ==
Redis client connected to the server
== seed: put Holberton=School in the store ==
== 1-redis_op: SET and GET a school's value ==
Redis client connected to the server
School
Reply: OK
100
== 2-redis_op_async: the same SET and GET with redis.asyncio and await ==
Redis client connected to the server
School
Reply: OK
100
== 4-redis_advanced_op: store schools in a hash with HSET, read it back with HGETALL ==
Redis client connected to the server
Reply: 1
Reply: 1
Reply: 1
Reply: 1
Reply: 1
Reply: 1
{'Portland': '50', 'Seattle': '80', 'New York': '20', 'Bogota': '20', 'Cali': '40', 'Paris': '2'}
== 5-subscriber + 5-publisher: the subscriber (a thread) prints what the publisher sends ==
Redis client connected to the server
Redis client connected to the server
About to send Holberton Student #1 starts course
Holberton Student #1 starts course
About to send Holberton Student #2 starts course
Holberton Student #2 starts course
About to send KILL_SERVER
KILL_SERVER
About to send Holberton Student #3 starts course
== 6-job_creator + 6-job_processor: the processor runs the job, then the creator reports ==
Notification job created: 1
Sending notification to 4153518780, with message: This is the code to verify your account
Notification job completed
== 7-job_creator + 7-job_processor: 11 jobs two at a time; the processor's lines, then the creator's ==
""" + RUN_BOTH_OUTPUT + """\
== 8-job-main: create_push_notifications_jobs: queue one job on push_notification_code_3 ==
Notification job created: 1
== test mode (exercise 11): the same function records two jobs and writes nothing to Redis ==
Notification job created: 1
Notification job created: 2
recorded in test mode: job 1 of push_notification_code_3 \
{'phoneNumber': '4153518780', 'message': 'This is the code 1234 to verify your account'}
recorded in test mode: job 2 of push_notification_code_3 \
{'phoneNumber': '4153518781', 'message': 'This is the code 4562 to verify your account'}
jobs of push_notification_code_3 in Redis: 1
"""


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise", "--list"]) == 0
    assert capsys.readouterr().out == LIST_OUTPUT


def test_unknown_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise", "3-redis_nothing"]) == 2
    err = capsys.readouterr().err
    assert "no exercise named '3-redis_nothing'" in err
    assert "0-redis_client" in err


def test_no_exercise_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise"]) == 2
    assert "--list" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("0-redis_client", "Redis client connected to the server\n"),
        ("1-redis_op", "Redis client connected to the server\nSchool\nReply: OK\n100\n"),
        ("2-redis_op_async", "Redis client connected to the server\nSchool\nReply: OK\n100\n"),
    ],
)
def test_exercise_outputs(
    store: redis.Redis, name: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exercise", name]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    assert captured.err == ""


def test_publisher_on_the_embedded_store_hints_on_stderr(
    embedded: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exercise", "5-publisher"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == "About to send Holberton Student #3 starts course"
    hint = captured.err.splitlines()
    assert len(hint) == 1
    assert hint[0].startswith("hint: 5-publisher is using the embedded store")
    assert "queuesim store" in hint[0]


def test_no_hint_with_a_url(shared_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise", "5-publisher", "--redis", shared_url]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Redis client connected to the server\nAbout to send ")
    assert captured.err == ""


def test_subscriber_command_stops_on_kill_server(
    store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    def publish_when_subscribed() -> None:
        deadline = time.monotonic() + 10
        while store.execute_command("PUBSUB", "NUMSUB", CHANNEL)[1] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        store.publish(CHANNEL, "first")
        store.publish(CHANNEL, KILL_SERVER)
        store.publish(CHANNEL, "never printed")

    publisher = threading.Thread(target=publish_when_subscribed)
    publisher.start()
    assert main(["exercise", "5-subscriber"]) == 0
    publisher.join(10)
    out = capsys.readouterr().out
    assert out == "Redis client connected to the server\nfirst\nKILL_SERVER\n"


def test_connection_failure_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    assert main(["exercise", "0-redis_client", "--redis", f"redis://:secret@127.0.0.1:{port}/0"]) == 1
    assert time.monotonic() - start < 10
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("Redis client not connected to the server: ") for line in lines)
    assert f"queuesim: no Redis server answered at redis://:***@127.0.0.1:{port}/0" in captured.err
    assert "secret" not in captured.err
    assert "Traceback" not in captured.err


def test_malformed_url_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise", "1-redis_op", "--redis", "http://localhost"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "must start with redis://, rediss:// or unix://" in captured.err


def test_malformed_redis_url_env_via_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://localhost:port")
    assert main(["tour"]) == 1
    assert "invalid port" in capsys.readouterr().err


def test_seed_on_the_test_store(
    backend: str, connected: object, r: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed"]) == 0
    out = capsys.readouterr().out
    if backend == "real":
        assert r.get("Holberton") == "School"
        assert out.startswith("Seeded redis://")
        assert out.endswith(": Holberton=School\n")
    else:
        assert out.startswith("The embedded store holds Holberton=School from the start")


def test_tour_exact_output(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"]) == 0
    captured = capsys.readouterr()
    assert captured.out == TOUR_OUTPUT
    assert captured.err == ""


def test_store_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["store", "--port", "70000"])
    assert "port must be from 0 to 65535" in capsys.readouterr().err
