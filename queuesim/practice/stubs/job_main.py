"""Task 10 — using the job creation function (the course's 8-job-main.js).

``main(client)`` makes the queue ``push_notification_code_3`` on ``client``,
calls ``create_push_notifications_jobs`` of 8-job.py with the list
:data:`JOBS`, and closes the queue (``queue.close()``). It prints
``Notification job created: 1`` on a fresh store.

Run it: ``python 8-job-main.py``.
Check it, from this folder: ``queuesim check 8-job-main``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from types import ModuleType

import redis

from queuesim.practice.runtime import course_file

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code_3"
#: The jobs to create.
JOBS = [{"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"}]


def job_creation() -> ModuleType:
    """Provided: 8-job.py, the file beside this one (use its ``create_push_notifications_jobs``)."""
    return course_file("8-job", __file__)


def main(client: redis.Redis) -> None:
    """Create JOBS on the queue push_notification_code_3 with create_push_notifications_jobs."""
    raise NotImplementedError("write main")


if __name__ == "__main__":  # provided: runs main on REDIS_URL, else the embedded store
    from queuesim.practice.runtime import run_main

    run_main(main)
