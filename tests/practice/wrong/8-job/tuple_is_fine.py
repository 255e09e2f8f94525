"""Takes any sequence: a tuple is not a list, and the course asks for a list."""

from queuesim.exercises import job_creation

CONCEPT = "jobs-not-array"


def create_push_notifications_jobs(jobs, queue):
    if not isinstance(jobs, list | tuple):
        raise TypeError("Jobs is not an array")
    return job_creation.create_push_notifications_jobs(list(jobs), queue)
