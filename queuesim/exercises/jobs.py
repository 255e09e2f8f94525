"""What the job exercises share: notification data, a creator that waits, a processor, both in one process.

A *creator* saves jobs, prints ``Notification job created: <id>`` for each,
then prints what their events say (see :class:`~queuesim.exercises.job_report.JobReport`)
and returns once every job is finished, or fails after a time limit instead of
hanging like the Node original. A *processor* runs a queue's jobs until Ctrl-C
or SIGTERM (or, in burst mode, until the queue is empty).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from queuesim.connection import connect
from queuesim.exercises.job_report import JobOutput, JobReport, LineFormat, say
from queuesim.queue import Job, Queue, Worker

__all__ = [
    "DEFAULT_TIMEOUT",
    "Creator",
    "NotificationHandler",
    "created_line",
    "notification_data",
    "run_creator",
    "run_creator_and_processor",
    "run_processor",
]

#: Seconds a creator waits for its jobs to finish before giving up (the command's ``--timeout``).
DEFAULT_TIMEOUT = 60.0


class NotificationHandler(Protocol):
    """A processor's job handler; ``echo`` prints its lines (:func:`~queuesim.exercises.job_report.say`)."""

    def __call__(self, job: Job, *, echo: Callable[[str], object] = ...) -> None:
        """Run ``job``: return to complete it, raise to fail it."""


#: A creator's first half: save jobs on the queue, print their created lines, watch them with the report.
Creator = Callable[[Queue, JobReport], Sequence[Job]]


def notification_data(data: Any, what: str = "job data") -> dict[str, str]:
    """``data`` if it is ``{"phoneNumber": <non-empty str>, "message": <str>, ...}``.

    Raises:
        TypeError: ``data`` is not a dict, or a field is not a string.
        ValueError: a field is missing, or the phone number is empty.
    """
    if not isinstance(data, dict):
        raise TypeError(f"{what} must be a dict with 'phoneNumber' and 'message', not {type(data).__name__}")
    for field in ("phoneNumber", "message"):
        if field not in data:
            raise ValueError(f"{what} has no {field!r}: {data!r}")
        if not isinstance(data[field], str):
            raise TypeError(f"{what}[{field!r}] must be a string, not {type(data[field]).__name__}")
    if not data["phoneNumber"]:
        raise ValueError(f"{what}['phoneNumber'] must not be empty")
    return data


def created_line(job: Job) -> str:
    """``Notification job created: <id>``."""
    return f"Notification job created: {job.id}"


def run_creator(
    url: str | None,
    queue_name: str,
    create: Creator,
    lines: LineFormat,
    *,
    timeout: float | None,
    processor: str,
) -> int:
    """A creator command: create the jobs, print their events job by job, return the exit code.

    Returns 0 once every job has finished (completed or failed), 1 when
    ``timeout`` seconds pass first (``None``: wait forever); the message on
    stderr names the unfinished jobs and the ``processor`` exercise to start.
    """
    client = connect(url)
    queue = Queue(queue_name, redis=client)
    try:
        report = JobReport(lines)
        jobs = create(queue, report)
        try:
            report.print_in_order(jobs, timeout=timeout)
        except TimeoutError as exc:
            print(
                f"queuesim: {exc}; is `queuesim exercise {processor}` running on the same Redis? "
                "(--timeout 0 waits forever)",
                file=sys.stderr,
            )
            return 1
    finally:
        queue.close()
        client.close()
    return 0


def run_processor(
    url: str | None, queue_name: str, handler: NotificationHandler, *, concurrency: int, burst: bool
) -> int:
    """A processor command: run the queue's jobs until Ctrl-C/SIGTERM, or until it is empty with ``burst``.

    A signal stops it gracefully (running jobs finish); the exit code is then
    128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM), else 0.
    """
    client = connect(url)
    queue = Queue(queue_name, redis=client)
    try:
        worker = Worker(queue, handler, concurrency=concurrency)
        worker.run(burst=burst)
    finally:
        queue.close()
        client.close()
    return 0 if worker.stop_signal is None else 128 + int(worker.stop_signal)


def run_creator_and_processor(
    url: str | None,
    queue_name: str,
    create: Creator,
    lines: LineFormat,
    handler: NotificationHandler,
    *,
    concurrency: int,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Job]:
    """Both halves in one process, with the same output on every run; returns the created jobs.

    The creator saves its jobs (printing their created lines); the processor
    then runs in burst mode in this thread, its lines kept per job; they are
    printed in job order, and then the creator's report, job by job.

    Raises:
        TimeoutError: the jobs did not all finish within ``timeout`` seconds.
    """
    client = connect(url)
    queue = Queue(queue_name, redis=client)
    try:
        report = JobReport(lines)
        jobs = list(create(queue, report))
        output = JobOutput()
        worker = Worker(queue, lambda job: handler(job, echo=output.echo_for(job)), concurrency=concurrency)
        worker.run(burst=True, handle_signals=False)
        output.print_all(say)
        report.print_in_order(jobs, timeout=timeout)
        return jobs
    finally:
        queue.close()
        client.close()
