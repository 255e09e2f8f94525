"""The job exercises as two processes on one store, as in two terminals, plus their command-line options.

The store comes from the ``shared_store`` fixture: the real server when
REDIS_URL is set, else fakeredis served over TCP. Events reach the creator from
the processor's process through the queue's event stream.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest
import redis

from queuesim.cli import main
from queuesim.exercises.notifications_progress import JOBS
from queuesim.queue import Queue

from .conftest import Proc
from .test_notifications_progress import SENDING_LINES, created_lines, report_lines

Spawn = Callable[..., Proc]
SENDING = "Sending notification to 4153518780, with message: This is the code to verify your account"


def test_6_creator_then_processor_in_two_processes(shared_store: tuple[str, redis.Redis], spawn: Spawn) -> None:
    """The processor drains the job queued before it started, then runs the next one live."""
    url, _client = shared_store
    first = spawn("exercise", "6-job_creator", url=url)
    first.wait_line(lambda line: line == "Notification job created: 1")
    processor = spawn("exercise", "6-job_processor", url=url)
    assert first.finish() == (0, ["Notification job created: 1", "Notification job completed"], "")

    # a second run while the processor waits: the id counts up, the job runs at once
    assert spawn("exercise", "6-job_creator", url=url).finish() == (
        0, ["Notification job created: 2", "Notification job completed"], ""
    )
    processor.signal(signal.SIGTERM)  # it printed both lines before the creators saw "completed"
    code, out, err = processor.finish()
    assert (code, out, err) == (143, [SENDING, SENDING], "")


def test_7_processor_then_creator_in_two_processes(shared_store: tuple[str, redis.Redis], spawn: Spawn) -> None:
    """Exercises 8 and 9 in two terminals: the creator's output is exact; the processor's order is free."""
    url, client = shared_store
    processor = spawn("exercise", "7-job_processor", url=url)
    code, out, err = spawn("exercise", "7-job_creator", url=url).finish()
    assert (code, err) == (0, "")
    assert out == [*created_lines(), *report_lines()]

    processor.signal(signal.SIGINT)  # it printed its nine lines before the jobs were reported finished
    code, out, err = processor.finish()
    assert (code, err) == (130, "")
    assert sorted(out) == sorted(SENDING_LINES)  # two jobs run at once: either may print first
    queue = Queue("push_notification_code_2", redis=client)
    assert queue.counts() == {"inactive": 0, "active": 0, "complete": 9, "failed": 2, "delayed": 0}


def test_7_creator_times_out_without_a_processor(shared_store: tuple[str, redis.Redis], spawn: Spawn) -> None:
    url, _client = shared_store
    code, out, err = spawn("exercise", "7-job_creator", "--timeout", "0.5", url=url).finish()
    assert code == 1
    assert out == created_lines()
    assert err.startswith("queuesim: no processor finished jobs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 of queue ")
    assert "Traceback" not in err

    # the jobs wait in the queue: a processor started later in burst mode drains them and exits
    code, out, err = spawn("exercise", "7-job_processor", "--burst", url=url).finish()
    assert (code, err) == (0, "")
    assert sorted(out) == sorted(SENDING_LINES)


def test_processor_on_the_embedded_store_hints_and_stops_on_sigterm(spawn: Spawn) -> None:
    processor = spawn("exercise", "7-job_processor")
    code, out, err = _stop_when_waiting(processor)
    assert (code, out) == (143, [])
    assert err.startswith("hint: 7-job_processor is using the embedded store")
    assert "Traceback" not in err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_waiting_creator_stops_cleanly_on_signals(spawn: Spawn, signum: int, code: int) -> None:
    creator = spawn("exercise", "6-job_creator")  # embedded store: no processor can reach it
    creator.wait_line(lambda line: line == "Notification job created: 1")
    creator.signal(signum)
    returncode, out, err = creator.finish()
    assert (returncode, out) == (code, ["Notification job created: 1"]), err
    assert err.startswith("hint: 6-job_creator is using the embedded store")
    assert "Traceback" not in err


def _stop_when_waiting(proc: Proc) -> tuple[int, list[str], str]:
    """SIGTERM once the process has printed its hint (it is then running), then wait for it."""
    assert proc.popen.stderr is not None
    hint = proc.popen.stderr.readline()
    proc.signal(signal.SIGTERM)
    code, out, rest = proc.finish()
    return code, out, hint + rest


# ---------------------------------------------------------------------- options, in this process


def test_8_job_main_via_the_cli(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercise", "8-job-main"]) == 0
    assert capsys.readouterr() == ("Notification job created: 1\n", "")


def test_burst_processor_via_the_cli(
    backend: str, connected: object, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = Queue("push_notification_code_2")
    queue.create_bulk(list(JOBS[:3]))
    assert main(["exercise", "7-job_processor", "--burst"]) == 0
    captured = capsys.readouterr()
    assert captured.out == SENDING_LINES[0] + "\n"
    if backend == "fake":
        assert captured.err.startswith("hint: 7-job_processor is using the embedded store")
    else:
        assert captured.err == ""
    queue.client.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1-redis_op", "--burst"], "1-redis_op does not take --burst"),
        (["7-job_creator", "--burst"], "7-job_creator does not take --burst"),
        (["7-job_processor", "--timeout", "5"], "7-job_processor does not take --timeout"),
    ],
)
def test_options_an_exercise_does_not_take(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exercise", *args]) == 2
    assert capsys.readouterr().err == f"queuesim exercise: {message}\n"


@pytest.mark.parametrize("value", ["-1", "soon", "inf", "nan"])
def test_timeout_must_be_a_finite_number_of_seconds(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["exercise", "7-job_creator", "--timeout", value])
    assert "--timeout" in capsys.readouterr().err
