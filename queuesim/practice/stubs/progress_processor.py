"""Task 9 — progress and errors: the processor (the course's 7-job_processor.js).

* :data:`BLACKLISTED_NUMBERS` holds the two numbers that must never be sent
  to: ``4153518780`` and ``4153518781``;
* ``send_notification(phone_number, message, job)``: report the job's progress
  0 out of 100 (``job.progress(0, 100)``); if the number is blacklisted, fail
  the job with the error ``Phone number <phone_number> is blacklisted``;
  otherwise report progress 50 out of 100, and print
  ``Sending notification to <phone_number>, with message: <message>``;
* ``process_notification(job)`` is the job handler: ``send_notification`` with
  the job's data. Returning completes the job; raising fails it with the
  error's message;
* ``make_worker(queue)`` returns the worker that runs two jobs at a time.

Run it: see 7-job_creator.py.
Check it, from this folder: ``queuesim check 7-job_processor``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from queuesim.queue import Job, Queue, Worker

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code_2"
#: The numbers that must never be sent to: write them here.
BLACKLISTED_NUMBERS: tuple[str, ...] = ()


def send_notification(phone_number: str, message: str, job: Job) -> None:
    """Progress 0; fail a blacklisted number; else progress 50 and print the sending line."""
    raise NotImplementedError("write send_notification")


def process_notification(job: Job) -> None:
    """The job handler: send_notification with the job's data."""
    raise NotImplementedError("write process_notification")


def make_worker(queue: Queue) -> Worker:
    """The worker running process_notification on ``queue``'s jobs, two at a time."""
    raise NotImplementedError("write make_worker")


if __name__ == "__main__":  # provided: runs the worker until Ctrl-C (REDIS_URL, else the embedded store)
    from queuesim.practice.runtime import run_processor

    run_processor(make_worker, QUEUE_NAME)
