"""Task 8 — progress and errors: the creator (the course's 7-job_creator.js).

``create_notification_jobs(queue, jobs)``, given the queue
``push_notification_code_2``, creates and saves one job per element of
``jobs`` (:data:`JOBS` by default), in order, and for each:

* prints ``Notification job created: <id>`` once it is saved;
* on its ``complete`` event prints ``Notification job <id> completed``;
* on its ``failed`` event prints ``Notification job <id> failed: <error>``
  (the listener receives the error's message);
* on its ``progress`` event prints ``Notification job <id> <percent>% complete``
  (the listener receives the percent first).

It returns the jobs, in order.

Run it with 7-job_processor.py (see 6-job_creator.py for two terminals).
Check it, from this folder: ``queuesim check 7-job_creator``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from collections.abc import Sequence

from queuesim.queue import Job, Queue

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code_2"
#: The jobs of the task, in order.
JOBS = (
    {"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"},
    {"phoneNumber": "4153518781", "message": "This is the code 4562 to verify your account"},
    {"phoneNumber": "4153518743", "message": "This is the code 4321 to verify your account"},
    {"phoneNumber": "4153538781", "message": "This is the code 4562 to verify your account"},
    {"phoneNumber": "4153118782", "message": "This is the code 4321 to verify your account"},
    {"phoneNumber": "4153718781", "message": "This is the code 4562 to verify your account"},
    {"phoneNumber": "4159518782", "message": "This is the code 4321 to verify your account"},
    {"phoneNumber": "4158718781", "message": "This is the code 4562 to verify your account"},
    {"phoneNumber": "4153818782", "message": "This is the code 4321 to verify your account"},
    {"phoneNumber": "4154318781", "message": "This is the code 4562 to verify your account"},
    {"phoneNumber": "4151218782", "message": "This is the code 4321 to verify your account"},
)


def create_notification_jobs(queue: Queue, jobs: Sequence[dict[str, str]] = JOBS) -> list[Job]:
    """Save one job per element of ``jobs``, printing its id and, later, its events; return the jobs."""
    raise NotImplementedError("write create_notification_jobs")


if __name__ == "__main__":  # provided: creates the jobs, waits for them (REDIS_URL, else the embedded store)
    from queuesim.practice.runtime import run_creator

    run_creator(create_notification_jobs, QUEUE_NAME)
