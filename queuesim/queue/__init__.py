"""The job queue: Kue's feature set on atomic Lua scripts (see docs/queue.md)."""

from queuesim.queue.aio import AsyncJob, AsyncQueue, AsyncWorker
from queuesim.queue.dispatch import WorkerStats
from queuesim.queue.events import Event, EventHub
from queuesim.queue.job import Job, JobState
from queuesim.queue.keys import QueueKeys
from queuesim.queue.options import PRIORITIES, JobOptions
from queuesim.queue.queue import Queue
from queuesim.queue.testmode import TestMode
from queuesim.queue.worker import Worker

__all__ = [
    "PRIORITIES",
    "AsyncJob",
    "AsyncQueue",
    "AsyncWorker",
    "Event",
    "EventHub",
    "Job",
    "JobOptions",
    "JobState",
    "Queue",
    "QueueKeys",
    "TestMode",
    "Worker",
    "WorkerStats",
]
