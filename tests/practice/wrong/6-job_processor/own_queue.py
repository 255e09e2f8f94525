"""Makes a worker on a queue of its own, not on the queue it is given."""

from queuesim.queue import Queue

CONCEPT = "worker-queue"


def make_worker(queue):
    return Worker(Queue("push_notification", redis=queue.client), process_notification)
