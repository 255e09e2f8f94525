"""Task 10 — the job creation function (the course's 8-job.js).

``create_push_notifications_jobs(jobs, queue)``:

* if ``jobs`` is not a list, raises an error whose message is exactly
  ``Jobs is not an array`` (and creates nothing);
* otherwise creates and saves one job per element on ``queue`` (the queue
  ``push_notification_code_3``), printing for each what the creator of task 8
  prints: ``Notification job created: <id>``, then on its events
  ``Notification job <id> completed``, ``Notification job <id> failed: <error>``,
  ``Notification job <id> <percent>% complete``;
* returns the jobs.

8-job-main.py calls it; 8-job_test.py tests it.
Check it, from this folder: ``queuesim check 8-job``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from typing import Any

from queuesim.queue import Job, Queue


def create_push_notifications_jobs(jobs: Any, queue: Queue) -> list[Job]:
    """One job per element of the list ``jobs`` on ``queue``; anything but a list raises."""
    raise NotImplementedError("write create_push_notifications_jobs")
