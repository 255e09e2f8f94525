"""Task 10's main, solved: the queue, the function of 8-job.py, the queue closed."""

from __future__ import annotations

from types import ModuleType

import redis

from queuesim.practice.runtime import course_file
from queuesim.queue import Queue

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code_3"
#: The jobs to create.
JOBS = [{"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"}]


def job_creation() -> ModuleType:
    """8-job.py, the file beside this one (use its ``create_push_notifications_jobs``)."""
    return course_file("8-job", __file__)


def main(client: redis.Redis) -> None:
    """Create JOBS on the queue push_notification_code_3 with create_push_notifications_jobs."""
    queue = Queue(QUEUE_NAME, redis=client)
    try:
        job_creation().create_push_notifications_jobs(list(JOBS), queue)
    finally:
        queue.close()


if __name__ == "__main__":
    from queuesim.practice.runtime import run_main

    run_main(main)
