"""Exercises ``7-job_creator`` and ``7-job_processor``: eleven jobs, progress, failures, two at a time.

The Node creator queued the eleven jobs of :data:`JOBS` on
``push_notification_code_2`` and logged, for each, ``Notification job created:
<id>``, then ``Notification job #<id> <pct>% complete``, ``Notification job
#<id> completed`` or ``Notification job #<id> failed: <error>`` on its events
(docs/SPEC.md drops the ``#``). The processor ran two jobs at a time: progress 0 %;
a blacklisted number fails the job with ``Phone number <phone> is
blacklisted``; otherwise progress 50 %, print the sending line, complete.

What the creator's output guarantees, whatever the processor's timing:

* the eleven ``created`` lines come first, in id order;
* then each job's lines, job by job in id order; a job's lines keep the order
  in which its events happened: ``0% complete``, then ``failed: ...``, or
  ``0% complete``, ``50% complete``, ``completed``.

So the creator prints exactly the same lines on every run. The events
themselves do not arrive in that order: two jobs run at once, so their events
interleave in the queue's stream differently from run to run (and the
processor's ``Sending notification ...`` lines of two simultaneous jobs may
swap). The creator holds a later job's lines until the earlier jobs are
finished, and exits once all eleven are, or after ``--timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
from queuesim.exercises.notifications import send_notification
from queuesim.queue import Job, Queue

__all__ = [
    "BLACKLISTED_NUMBERS",
    "CONCURRENCY",
    "JOBS",
    "QUEUE",
    "create_jobs",
    "create_notification_jobs",
    "creator_main",
    "event_line",
    "print_job_events",
    "process_notification_with_progress",
    "processor_main",
    "run_both",
    "send_notification_with_progress",
]

#: The queue of exercises 8 and 9.
QUEUE = "push_notification_code_2"
#: How many jobs the processor runs at once.
CONCURRENCY = 2
#: Numbers the processor refuses.
BLACKLISTED_NUMBERS: frozenset[str] = frozenset({"4153518780", "4153518781"})
_PHONES_AND_CODES = (
    ("4153518780", "1234"),
    ("4153518781", "4562"),
    ("4153518743", "4321"),
    ("4153538781", "4562"),
    ("4153118782", "4321"),
    ("4153718781", "4562"),
    ("4159518782", "4321"),
    ("4158718781", "4562"),
    ("4153818782", "4321"),
    ("4154318781", "4562"),
    ("4151218782", "4321"),
)
#: The eleven jobs of the creator, in order.
JOBS: tuple[dict[str, str], ...] = tuple(
    {"phoneNumber": phone, "message": f"This is the code {code} to verify your account"}
    for phone, code in _PHONES_AND_CODES
)


def event_line(job_id: str, event: str, args: tuple[Any, ...]) -> str | None:
    """The creator's line for an event of job ``job_id`` (None for events it does not report)."""
    if event == "progress":
        return f"Notification job {job_id} {args[0]}% complete"
    if event == "complete":
        return f"Notification job {job_id} completed"
    if event == "failed":
        return f"Notification job {job_id} failed: {args[0]}"
    return None


def send_notification_with_progress(
    phone_number: str,
    message: str,
    job: Job,
    *,
    blacklist: Iterable[str] = BLACKLISTED_NUMBERS,
    echo: Callable[[str], object] = say,
) -> None:
    """Report progress 0 %; refuse a blacklisted number; else report 50 % and send the notification.

    Raises:
        ValueError: ``Phone number <phone_number> is blacklisted`` (the job fails with this message).
    """
    job.progress(0, 100)
    if phone_number in frozenset(blacklist):
        raise ValueError(f"Phone number {phone_number} is blacklisted")
    job.progress(50, 100)
    send_notification(phone_number, message, echo=echo)


def process_notification_with_progress(job: Job, *, echo: Callable[[str], object] = say) -> None:
    """The processor's handler: :func:`send_notification_with_progress` with the job's data."""
    data = notification_data(job.data, f"the data of job {job.id}")
    send_notification_with_progress(data["phoneNumber"], data["message"], job, echo=echo)


def create_jobs(queue: Queue, jobs: Iterable[Any], watch: Callable[[Job], object]) -> list[Job]:
    """Save one job per item of ``jobs`` on ``queue``, print each created line, then ``watch(job)``.

    Every item is checked first and the jobs are saved in one atomic step, so
    a bad item leaves nothing half-created.

    Raises:
        TypeError, ValueError: an item is not ``{"phoneNumber": str, "message": str}``; the message
            names its index.
    """
    data = [notification_data(item, f"jobs[{i}]") for i, item in enumerate(jobs)]
    created = queue.create_bulk(data)
    for job in created:
        say(created_line(job))
    for job in created:
        watch(job)
    return created


def print_job_events(job: Job) -> Job:
    """Print :func:`event_line` for ``job``'s progress, complete and failed events as they arrive.

    The lines are printed on the queue's listener thread, in the order the
    events happened (see the module docstring for what that means across jobs).
    """
    job_id = job.id or ""
    for event in ("progress", "complete", "failed"):
        job.on(event, lambda *args, _event=event: _print_event(job_id, _event, args))
    return job


def _print_event(job_id: str, event: str, args: tuple[Any, ...]) -> None:
    line = event_line(job_id, event, args)
    if line is not None:
        say(line)


def create_notification_jobs(
    queue: Queue, jobs: Iterable[Any] = JOBS, *, report: JobReport | None = None
) -> list[Job]:
    """The creator's first half: save ``jobs``, print their created lines, watch them with ``report``.

    Without a report, each job's event lines are printed as they arrive (:func:`print_job_events`).
    """
    watch: Callable[[Job], object] = report.watch if report is not None else print_job_events
    return create_jobs(queue, jobs, watch)


def _create(queue: Queue, report: JobReport) -> Sequence[Job]:
    return create_notification_jobs(queue, report=report)


def creator_main(url: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> int:
    """Run ``7-job_creator``: queue the eleven jobs, print their events job by job, exit when all finished."""
    return run_creator(url, QUEUE, _create, event_line, timeout=timeout, processor="7-job_processor")


def processor_main(url: str | None = None, burst: bool = False) -> int:
    """Run ``7-job_processor``: two jobs at a time until Ctrl-C/SIGTERM (``burst``: until the queue is empty)."""
    return run_processor(url, QUEUE, process_notification_with_progress, concurrency=CONCURRENCY, burst=burst)


def run_both(url: str | None = None, *, timeout: float | None = DEFAULT_TIMEOUT) -> list[Job]:
    """Creator and processor in one process (tour, notebook), the same output on every run.

    Prints the eleven created lines, the processor's nine sending lines in job
    order, then the creator's report job by job.
    """
    return run_creator_and_processor(
        url, QUEUE, _create, event_line, process_notification_with_progress, concurrency=CONCURRENCY,
        timeout=timeout,
    )
