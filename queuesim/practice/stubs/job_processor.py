"""Task 7 — the job processor (the course's 6-job_processor.js).

* ``send_notification(phone_number, message)`` prints
  ``Sending notification to <phone_number>, with message: <message>``;
* ``process_notification(job)`` is the job handler: it sends the notification
  that the job's data (``job.data["phoneNumber"]``, ``job.data["message"]``)
  describes. Returning completes the job; raising fails it;
* ``make_worker(queue)`` returns the worker that runs ``process_notification``
  on the jobs of ``queue`` (Kue's ``queue.process``): ``Worker(queue, handler)``.

Run it: see 6-job_creator.py.
Check it, from this folder: ``queuesim check 6-job_processor``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from queuesim.queue import Job, Queue, Worker

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code"


def send_notification(phone_number: str, message: str) -> None:
    """Print ``Sending notification to <phone_number>, with message: <message>``."""
    raise NotImplementedError("write send_notification")


def process_notification(job: Job) -> None:
    """The job handler: send the notification of ``job.data``."""
    raise NotImplementedError("write process_notification")


def make_worker(queue: Queue) -> Worker:
    """The worker running process_notification on ``queue``'s jobs."""
    raise NotImplementedError("write make_worker")


if __name__ == "__main__":  # provided: runs the worker until Ctrl-C (REDIS_URL, else the embedded store)
    from queuesim.practice.runtime import run_processor

    run_processor(make_worker, QUEUE_NAME)
