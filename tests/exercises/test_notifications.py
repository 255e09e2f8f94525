"""Exercises 6 and 7: one notification job, its creator and its processor (in this process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from queuesim.exercises import notifications
from queuesim.exercises.notifications import (
    JOB_DATA,
    QUEUE,
    create_notification_job,
    creator_main,
    process_notification,
    processor_main,
    run_both,
    send_notification,
)
from queuesim.queue import JobState, Queue, Worker

SENDING = "Sending notification to 4153518780, with message: This is the code to verify your account"


@pytest.fixture
def queue(connected: object) -> Iterator[Queue]:
    """The exercise's queue on the test's store (the one ``connect()`` reaches)."""
    q = Queue(QUEUE)
    yield q
    q.close()
    q.client.close()


class ProcessorThread:
    """A processor (``Worker``) running in a thread until stopped."""

    def __init__(self, queue: Queue, handler: object, concurrency: int = 1) -> None:
        self.worker = Worker(queue, handler, concurrency=concurrency, poll_interval=0.1)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_send_notification_prints_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert send_notification("4153518780", "This is the code to verify your account") == SENDING
    assert capsys.readouterr().out == SENDING + "\n"


@pytest.mark.parametrize(("phone", "message"), [(4153518780, "hi"), ("4153518780", None)])
def test_send_notification_wants_strings(phone: object, message: object) -> None:
    with pytest.raises(TypeError, match="must be a string"):
        send_notification(phone, message)  # type: ignore[arg-type]


def test_created_ids_count_up_across_runs(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    first = create_notification_job(queue)
    second = create_notification_job(Queue(QUEUE, redis=queue.client))  # another "run": a new queue object
    assert (first.id, second.id) == ("1", "2")
    assert capsys.readouterr().out == "Notification job created: 1\nNotification job created: 2\n"
    stored = queue.get_job(1)
    assert (stored.data, stored.state, stored.queue.name) == (JOB_DATA, JobState.INACTIVE, QUEUE)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ("4153518780", TypeError, "must be a dict"),
        ({"message": "hi"}, ValueError, "has no 'phoneNumber'"),
        ({"phoneNumber": "1", "message": 3}, TypeError, r"\['message'\] must be a string"),
        ({"phoneNumber": "", "message": "hi"}, ValueError, "must not be empty"),
    ],
)
def test_bad_job_data_is_refused_before_saving(
    queue: Queue, data: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        create_notification_job(queue, data)  # type: ignore[arg-type]
    assert sum(queue.counts().values()) == 0


def test_run_both_exact_output(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    job = run_both()
    assert capsys.readouterr().out == f"Notification job created: 1\n{SENDING}\nNotification job completed\n"
    assert job.id == "1"


def test_creator_prints_completed_from_a_running_processor(
    queue: Queue, capsys: pytest.CaptureFixture[str]
) -> None:
    processor = ProcessorThread(queue, process_notification)
    try:
        assert creator_main(timeout=20) == 0
    finally:
        processor.stop()
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == sorted(["Notification job created: 1", SENDING, "Notification job completed"])
    assert out.index("Notification job created: 1") < out.index("Notification job completed")
    assert out.index(SENDING) < out.index("Notification job completed")


def test_creator_prints_failed_when_the_job_fails(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(job: object) -> None:
        raise RuntimeError("no network")

    processor = ProcessorThread(queue, refuse)
    try:
        assert creator_main(timeout=20) == 0
    finally:
        processor.stop()
    assert capsys.readouterr().out == "Notification job created: 1\nNotification job failed\n"
    assert queue.get_job(1).error == "no network"


def test_creator_gives_up_after_its_timeout(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    assert creator_main(timeout=0.2) == 1
    captured = capsys.readouterr()
    assert captured.out == "Notification job created: 1\n"
    assert captured.err == (
        "queuesim: no processor finished job 1 of queue 'push_notification_code' within 0.2 s; "
        "is `queuesim exercise 6-job_processor` running on the same Redis? (--timeout 0 waits forever)\n"
    )
    assert queue.get_job(1).state is JobState.INACTIVE  # still there for a processor to run later


def test_processor_drains_what_is_queued_in_burst_mode(
    queue: Queue, capsys: pytest.CaptureFixture[str]
) -> None:
    queue.add(JOB_DATA)
    queue.add({"phoneNumber": "4153518781", "message": "second"})
    assert processor_main(burst=True) == 0
    assert capsys.readouterr().out == (
        f"{SENDING}\nSending notification to 4153518781, with message: second\n"
    )
    assert queue.counts()["complete"] == 2


def test_processor_fails_a_job_with_bad_data(queue: Queue) -> None:
    job = queue.add({"phone": "4153518780"})
    assert processor_main(burst=True) == 0
    job.refresh()
    assert job.state is JobState.FAILED
    assert job.error == f"the data of job {job.id} has no 'phoneNumber': {{'phone': '4153518780'}}"


def test_outcome_lines() -> None:
    assert notifications.outcome_line("7", "complete", (None,)) == "Notification job completed"
    assert notifications.outcome_line("7", "failed", ("boom",)) == "Notification job failed"
    assert notifications.outcome_line("7", "progress", (50, None)) is None
