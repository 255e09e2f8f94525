"""Refuses what is not a list, with another message than the course's."""

from queuesim.exercises import job_creation

CONCEPT = "jobs-not-array"


def create_push_notifications_jobs(jobs, queue):
    if not isinstance(jobs, list):
        raise TypeError("jobs must be a list")
    return job_creation.create_push_notifications_jobs(jobs, queue)
