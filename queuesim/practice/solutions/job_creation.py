"""Task 10's function, solved with queuesim's (:mod:`queuesim.exercises.job_creation`)."""

from __future__ import annotations

from typing import Any

from queuesim.exercises import job_creation
from queuesim.queue import Job, Queue


def create_push_notifications_jobs(jobs: Any, queue: Queue) -> list[Job]:
    """One job per element of the list ``jobs`` on ``queue``; anything but a list raises."""
    return job_creation.create_push_notifications_jobs(jobs, queue)
