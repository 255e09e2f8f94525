"""Exercises 8 and 9: eleven jobs with progress and failures, two at a time (in this process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from queuesim.exercises.job_report import JobReport
from queuesim.exercises.notifications_progress import (
    BLACKLISTED_NUMBERS,
    JOBS,
    QUEUE,
    create_notification_jobs,
    creator_main,
    event_line,
    process_notification_with_progress,
    processor_main,
    run_both,
    send_notification_with_progress,
)
from queuesim.queue import Job, JobState, Queue, Worker

#: (phone, code) of the eleven jobs, as SPEC.md lists them.
SPEC_JOBS = [
    ("4153518780", "1234"), ("4153518781", "4562"), ("4153518743", "4321"), ("4153538781", "4562"),
    ("4153118782", "4321"), ("4153718781", "4562"), ("4159518782", "4321"), ("4158718781", "4562"),
    ("4153818782", "4321"), ("4154318781", "4562"), ("4151218782", "4321"),
]


def created_lines(first: int = 1, count: int = 11) -> list[str]:
    return [f"Notification job created: {i}" for i in range(first, first + count)]


def report_lines(first: int = 1) -> list[str]:
    """The creator's report for the eleven jobs with ids from ``first``: job by job, in event order."""
    lines = []
    for offset, (phone, _code) in enumerate(SPEC_JOBS):
        i = first + offset
        lines.append(f"Notification job {i} 0% complete")
        if phone in BLACKLISTED_NUMBERS:
            lines.append(f"Notification job {i} failed: Phone number {phone} is blacklisted")
        else:
            lines += [f"Notification job {i} 50% complete", f"Notification job {i} completed"]
    return lines


#: The processor's lines, in job order (two simultaneous jobs may print in either order).
SENDING_LINES = [
    f"Sending notification to {phone}, with message: This is the code {code} to verify your account"
    for phone, code in SPEC_JOBS
    if phone not in BLACKLISTED_NUMBERS
]

#: What the exercise prints on a fresh store when both halves run in one process.
RUN_BOTH_OUTPUT = "".join(line + "\n" for line in [*created_lines(), *SENDING_LINES, *report_lines()])


@pytest.fixture
def queue(connected: object) -> Iterator[Queue]:
    """The exercise's queue on the test's store (the one ``connect()`` reaches)."""
    q = Queue(QUEUE)
    yield q
    q.close()
    q.client.close()


def test_the_eleven_jobs_are_those_of_the_spec() -> None:
    assert [(j["phoneNumber"], j["message"]) for j in JOBS] == [
        (phone, f"This is the code {code} to verify your account") for phone, code in SPEC_JOBS
    ]
    assert sorted(BLACKLISTED_NUMBERS) == ["4153518780", "4153518781"]


def test_event_lines() -> None:
    assert event_line("3", "progress", (50, None)) == "Notification job 3 50% complete"
    assert event_line("3", "complete", (None,)) == "Notification job 3 completed"
    assert event_line("1", "failed", ("Phone number 4153518780 is blacklisted",)) == (
        "Notification job 1 failed: Phone number 4153518780 is blacklisted"
    )
    assert event_line("1", "start", ()) is None


def test_run_both_exact_output(connected: object, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = run_both()
    assert capsys.readouterr().out == RUN_BOTH_OUTPUT
    assert [job.id for job in jobs] == [str(i) for i in range(1, 12)]


def test_handler_events_progress_then_outcome(queue: Queue) -> None:
    """What the processor does to each job, as the event stream records it."""
    sent: list[str] = []
    jobs = [queue.add(data) for data in JOBS[:3]]
    worker = Worker(queue, lambda job: process_notification_with_progress(job, echo=sent.append), concurrency=2)
    assert worker.run(burst=True).completed == 1
    timeline = {
        job.id: [(e.name, e.args) for e in queue.events.history(job.id) if e.name not in ("enqueue", "start")]
        for job in jobs
    }
    assert timeline == {
        "1": [("progress", (0, None)), ("failed", ("Phone number 4153518780 is blacklisted",))],
        "2": [("progress", (0, None)), ("failed", ("Phone number 4153518781 is blacklisted",))],
        "3": [("progress", (0, None)), ("progress", (50, None)), ("complete", (None,))],
    }
    assert sent == [SENDING_LINES[0]]
    failed = queue.get_job(1)
    assert (failed.state, failed.percent, failed.error) == (
        JobState.FAILED, 0, "Phone number 4153518780 is blacklisted"
    )
    assert queue.get_job(3).percent == 50


def test_send_notification_with_progress_takes_a_blacklist(queue: Queue) -> None:
    seen: list[int] = []
    job = queue.add(JOBS[2])
    job.on("progress", lambda pct, data: seen.append(pct))

    def handler(job: Job) -> None:
        send_notification_with_progress("4153518743", "m", job, blacklist=["4153518743"], echo=print)

    Worker(queue, handler).run(burst=True)
    assert job.wait(10) is JobState.FAILED
    assert job.error == "Phone number 4153518743 is blacklisted"
    assert seen == [0]


def test_processor_runs_two_jobs_at_a_time(queue: Queue) -> None:
    """Concurrency 2: two handlers are inside send at once; never three."""
    inside, most, lock = 0, 0, threading.Lock()
    both_in = threading.Barrier(2, timeout=10)

    def echo(line: str) -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        both_in.wait()  # returns only once two handlers are here at the same time
        with lock:
            inside -= 1

    for phone in ("4153518743", "4153538781", "4153118782", "4153718781"):
        queue.add({"phoneNumber": phone, "message": "m"})
    worker = Worker(queue, lambda job: process_notification_with_progress(job, echo=echo), concurrency=2)
    assert worker.run(burst=True).completed == 4
    assert most == 2


def test_processor_main_burst_drains(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    queue.create_bulk(list(JOBS))
    assert processor_main(burst=True) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == sorted(SENDING_LINES)
    assert queue.counts() == {"inactive": 0, "active": 0, "complete": 9, "failed": 2, "delayed": 0}


def test_creator_output_is_exact_while_a_processor_runs(
    queue: Queue, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever the processor's interleaving, the creator prints its report job by job."""
    sent: list[str] = []
    worker = Worker(queue, lambda job: process_notification_with_progress(job, echo=sent.append),
                    concurrency=2, poll_interval=0.1)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert creator_main(timeout=20) == 0
    finally:
        worker.stop()
        thread.join(10)
    assert capsys.readouterr().out.splitlines() == [*created_lines(), *report_lines()]
    assert sorted(sent) == sorted(SENDING_LINES)


def test_creator_times_out_naming_the_unfinished_jobs(
    queue: Queue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert creator_main(timeout=0.1) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == created_lines()
    assert captured.err.startswith(
        "queuesim: no processor finished jobs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 of queue "
        "'push_notification_code_2' within 0.1 s; is `queuesim exercise 7-job_processor` running"
    )


def test_report_prints_finished_jobs_then_names_the_rest(
    queue: Queue, capsys: pytest.CaptureFixture[str]
) -> None:
    report = JobReport(event_line)
    jobs = create_notification_jobs(queue, JOBS[:3], report=report)

    def run_one_then_stop(job: Job) -> None:
        try:
            process_notification_with_progress(job)
        finally:
            worker.stop()  # concurrency 1: no other job was claimed

    worker = Worker(queue, run_one_then_stop)
    worker.run()
    deadline = time.monotonic() + 10
    while not report.finished(jobs[0]):  # its events reach the report on the listener thread
        assert time.monotonic() < deadline, "job 1's failed event never reached the report"
        time.sleep(0.005)
    with pytest.raises(TimeoutError, match=r"^no processor finished jobs 2, 3 of queue 'push_notification_code_2'"):
        report.print_in_order(jobs, timeout=0.2)
    assert capsys.readouterr().out.splitlines() == [
        *created_lines(1, 3),
        "Notification job 1 0% complete",
        "Notification job 1 failed: Phone number 4153518780 is blacklisted",
    ]
    assert report.finished(jobs[0])
    assert not report.finished(jobs[1])


@pytest.mark.parametrize(
    ("jobs", "error", "message"),
    [
        ([JOBS[0], "4153518781"], TypeError, r"jobs\[1\] must be a dict"),
        ([JOBS[0], {"phoneNumber": "1"}], ValueError, r"jobs\[1\] has no 'message'"),
    ],
)
def test_a_bad_job_creates_nothing(
    queue: Queue, jobs: list[object], error: type[Exception], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(error, match=message):
        create_notification_jobs(queue, jobs)
    assert sum(queue.counts().values()) == 0
    assert capsys.readouterr().out == ""


def test_a_removed_job_ends_the_report_wait(queue: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone deleting a job must not leave the creator waiting for it until the timeout."""
    report = JobReport(event_line)
    (job,) = create_notification_jobs(queue, JOBS[:1], report=report)
    job.remove()
    report.print_in_order([job], timeout=10)
    assert report.finished(job)
    assert capsys.readouterr().out == "Notification job created: 1\n"
