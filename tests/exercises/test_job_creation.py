"""Exercises 10 and 11: ``create_push_notifications_jobs``, tested in the queue's test mode.

The first tests port the course's Mocha suite (``8-job.test.js``): the queue
enters test mode before each test and is cleared and left after it, so no job
reaches Redis and no test sees another's jobs. The last ones run the function
for real, with a processor.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from queuesim.exercises.job_creation import (
    JOBS_NOT_AN_ARRAY,
    QUEUE,
    TEST_JOBS,
    create_push_notifications_jobs,
    main,
    show_test_mode,
)
from queuesim.exercises.notifications_progress import process_notification_with_progress
from queuesim.queue import JobState, Queue, Worker


@pytest.fixture
def queue(r: redis.Redis) -> Iterator[Queue]:
    """The ``push_notification_code_3`` queue, in test mode for the test's duration."""
    q = Queue(QUEUE, redis=r)
    q.test_mode.enter()
    yield q
    q.test_mode.clear()
    q.test_mode.exit()
    assert not q.test_mode.active
    assert q.test_mode.jobs == []
    q.close()


@pytest.mark.parametrize(
    "jobs",
    [
        pytest.param("hello", id="string"),
        pytest.param({"phoneNumber": "4153518780", "message": "hi"}, id="dict"),
        pytest.param(None, id="None"),
        pytest.param(42, id="int"),
        pytest.param(tuple(TEST_JOBS), id="tuple"),
    ],
)
def test_display_an_error_message_if_jobs_is_not_an_array(
    queue: Queue, jobs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TypeError) as caught:
        create_push_notifications_jobs(jobs, queue)  # type: ignore[arg-type]
    assert str(caught.value) == "Jobs is not an array" == JOBS_NOT_AN_ARRAY
    assert queue.test_mode.jobs == []
    assert capsys.readouterr().out == ""


def test_create_two_new_jobs_to_the_queue(
    queue: Queue, r: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = create_push_notifications_jobs(list(TEST_JOBS), queue)
    recorded = queue.test_mode.jobs
    assert len(recorded) == 2
    assert recorded == jobs
    assert [job.id for job in recorded] == ["1", "2"]
    assert [job.queue.name for job in recorded] == ["push_notification_code_3"] * 2
    assert recorded[0].to_dict()["type"] == "push_notification_code_3"
    assert recorded[0].data == {
        "phoneNumber": "4153518780",
        "message": "This is the code 1234 to verify your account",
    }
    assert recorded[1].data == {
        "phoneNumber": "4153518781",
        "message": "This is the code 4562 to verify your account",
    }
    assert capsys.readouterr().out == "Notification job created: 1\nNotification job created: 2\n"
    assert r.dbsize() == 0  # nothing reached Redis


def test_ids_start_again_in_each_test(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    """Each test has its own test mode (the queue's, not a process-wide list): ids start at 1 again."""
    assert [job.id for job in create_push_notifications_jobs([TEST_JOBS[1]], queue)] == ["1"]
    assert capsys.readouterr().out == "Notification job created: 1\n"


def test_an_empty_list_creates_nothing(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    assert create_push_notifications_jobs([], queue) == []
    assert queue.test_mode.jobs == []
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("jobs", "error", "message"),
    [
        ([TEST_JOBS[0], "4153518781"], TypeError, r"^jobs\[1\] must be a dict"),
        ([TEST_JOBS[0], {"phoneNumber": "4153518781"}], ValueError, r"^jobs\[1\] has no 'message'"),
        ([{"phoneNumber": 4153518780, "message": "m"}], TypeError, r"^jobs\[0\]\['phoneNumber'\] must be a string"),
    ],
)
def test_a_bad_element_creates_no_job(
    queue: Queue, jobs: list[object], error: type[Exception], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(error, match=message):
        create_push_notifications_jobs(jobs, queue)
    assert queue.test_mode.jobs == []
    assert capsys.readouterr().out == ""


def test_jobs_go_on_push_notification_code_3_only(r: redis.Redis) -> None:
    other = Queue("push_notification_code_2", redis=r)
    expected = "the jobs of task 10 go on queue 'push_notification_code_3'"
    with other.test_mode(), pytest.raises(ValueError, match=expected):
        create_push_notifications_jobs(list(TEST_JOBS), other)
    assert other.test_mode.jobs == []


# ---------------------------------------------------------------------- outside test mode


def test_events_print_the_lines_of_exercise_8(r: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    """For real: a processor runs the jobs; each job's lines come in the order its events happened."""
    queue = Queue(QUEUE, redis=r)
    jobs = create_push_notifications_jobs(
        [*TEST_JOBS, {"phoneNumber": "4153518743", "message": "This is the code 4321 to verify your account"}],
        queue,
    )
    # Listeners registered after the printing ones run after them, on the same event.
    ended = threading.Semaphore(0)
    for job in jobs:
        job.on("complete", lambda result: ended.release()).on("failed", lambda error: ended.release())
    sent: list[str] = []
    Worker(queue, lambda job: process_notification_with_progress(job, echo=sent.append), concurrency=2).run(
        burst=True
    )
    assert all(ended.acquire(timeout=10) for _ in jobs)
    queue.close()
    assert [job.refresh().state for job in jobs] == [JobState.FAILED, JobState.FAILED, JobState.COMPLETE]
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["Notification job created: 1", "Notification job created: 2", "Notification job created: 3"]
    per_job = {i: [line for line in out[3:] if line.startswith(f"Notification job {i} ")] for i in (1, 2, 3)}
    assert per_job == {
        1: ["Notification job 1 0% complete", "Notification job 1 failed: Phone number 4153518780 is blacklisted"],
        2: ["Notification job 2 0% complete", "Notification job 2 failed: Phone number 4153518781 is blacklisted"],
        3: ["Notification job 3 0% complete", "Notification job 3 50% complete", "Notification job 3 completed"],
    }
    assert len(out) == 3 + 7
    assert sent == ["Sending notification to 4153518743, with message: This is the code 4321 to verify your account"]


def test_main_creates_one_job_and_exits(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert capsys.readouterr().out == "Notification job created: 1\n"
    queue = Queue(QUEUE)
    job = queue.get_job(1)
    assert (job.state, job.data["phoneNumber"]) == (JobState.INACTIVE, "4153518780")
    queue.client.close()


def test_show_test_mode_exact_output(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = show_test_mode()
    assert [job.id for job in recorded] == ["1", "2"]
    assert capsys.readouterr().out == (
        "Notification job created: 1\n"
        "Notification job created: 2\n"
        "recorded in test mode: job 1 of push_notification_code_3 "
        "{'phoneNumber': '4153518780', 'message': 'This is the code 1234 to verify your account'}\n"
        "recorded in test mode: job 2 of push_notification_code_3 "
        "{'phoneNumber': '4153518781', 'message': 'This is the code 4562 to verify your account'}\n"
        "jobs of push_notification_code_3 in Redis: 0\n"
    )
