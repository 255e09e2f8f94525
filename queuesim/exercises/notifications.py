"""Exercises ``6-job_creator`` and ``6-job_processor``: one push-notification job on a queue.

The Node creator made a Kue queue, created one ``push_notification_code``
job with ``{phoneNumber, message}``, logged ``Notification job created: <id>``
when it was saved, and logged ``Notification job completed`` or
``Notification job failed`` on the job's events. The processor ran
``sendNotification(phoneNumber, message)`` for each job of that queue.

Here the creator listens to ``complete`` and ``failed`` (the final failure),
and exits once the job is finished instead of hanging; the events reach it
from the processor's process through the queue's event stream. The processor
drains the jobs already queued, then waits for more until Ctrl-C or SIGTERM.

Ordering: the creator prints ``created`` first, then the outcome line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from queuesim.exercises.job_report import JobReport, say
from queuesim.exercises.jobs import (
    DEFAULT_TIMEOUT,
    created_line,
    notification_data,
    run_creator,
    run_creator_and_processor,
    run_processor,
)
from queuesim.queue import Job, Queue

__all__ = [
    "JOB_DATA",
    "QUEUE",
    "create_notification_job",
    "creator_main",
    "outcome_line",
    "process_notification",
    "processor_main",
    "run_both",
    "send_notification",
]

#: The queue (Kue's job type) of exercises 6 and 7.
QUEUE = "push_notification_code"
#: The job the creator queues, as in the original.
JOB_DATA: dict[str, str] = {"phoneNumber": "4153518780", "message": "This is the code to verify your account"}


def send_notification(phone_number: str, message: str, *, echo: Callable[[str], object] = say) -> str:
    """Print ``Sending notification to <phone_number>, with message: <message>``; returns the line.

    Raises:
        TypeError: an argument is not a string.
    """
    for name, value in (("phone_number", phone_number), ("message", message)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    line = f"Sending notification to {phone_number}, with message: {message}"
    echo(line)
    return line


def create_notification_job(queue: Queue, data: dict[str, str] = JOB_DATA) -> Job:
    """Save a job with ``data`` on ``queue`` and print ``Notification job created: <id>``.

    Raises:
        TypeError, ValueError: ``data`` is not ``{"phoneNumber": str, "message": str}``.
    """
    job = queue.create(notification_data(data)).save()
    say(created_line(job))
    return job


def outcome_line(job_id: str, event: str, args: tuple[Any, ...]) -> str | None:
    """The creator's line for an event: ``Notification job completed`` / ``failed``, else nothing."""
    if event == "complete":
        return "Notification job completed"
    if event == "failed":
        return "Notification job failed"
    return None


def process_notification(job: Job, *, echo: Callable[[str], object] = say) -> None:
    """The processor's handler: send the notification the job describes.

    Raises:
        TypeError, ValueError: the job's data is not a notification (the job fails with that message).
    """
    data = notification_data(job.data, f"the data of job {job.id}")
    send_notification(data["phoneNumber"], data["message"], echo=echo)


def _create(queue: Queue, report: JobReport) -> Sequence[Job]:
    return [report.watch(create_notification_job(queue))]


def creator_main(url: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> int:
    """Run ``6-job_creator``: queue the job, print its outcome; exit code 1 if unfinished after ``timeout`` s."""
    return run_creator(url, QUEUE, _create, outcome_line, timeout=timeout, processor="6-job_processor")


def processor_main(url: str | None = None, burst: bool = False) -> int:
    """Run ``6-job_processor``: process the queue until Ctrl-C/SIGTERM (``burst``: until it is empty)."""
    return run_processor(url, QUEUE, process_notification, concurrency=1, burst=burst)


def run_both(url: str | None = None, *, timeout: float | None = DEFAULT_TIMEOUT) -> Job:
    """Creator and processor in one process (tour, notebook): created line, sending line, outcome line."""
    (job,) = run_creator_and_processor(
        url, QUEUE, _create, outcome_line, process_notification, concurrency=1, timeout=timeout
    )
    return job
