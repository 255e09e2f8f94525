"""queuesim: learn, build and load-test queuing systems on Redis."""

from queuesim._version import __version__
from queuesim.connection import connect, connect_async, embedded_server, mask_url, redis_url
from queuesim.drivers import AsyncDriver, Batch, RecordingDriver, SyncDriver, run, run_async
from queuesim.errors import (
    ConnectionFailed,
    InvalidJobOption,
    InvalidTransition,
    InvalidURL,
    JobError,
    JobNotFound,
    NoSeatsAvailable,
    OutOfStock,
    ProductNotFound,
    QueuesimError,
    ReservationError,
    ReservationsBlocked,
)
from queuesim.queue import PRIORITIES, Event, Job, JobOptions, JobState, Queue, TestMode, Worker, WorkerStats
from queuesim.queue.aio import AsyncJob, AsyncQueue, AsyncWorker
from queuesim.queue.invariants import check_invariants
from queuesim.scripts import Script, ScriptCall, load_script

__all__ = [
    "PRIORITIES",
    "AsyncDriver",
    "AsyncJob",
    "AsyncQueue",
    "AsyncWorker",
    "Batch",
    "ConnectionFailed",
    "Event",
    "InvalidJobOption",
    "InvalidTransition",
    "InvalidURL",
    "Job",
    "JobError",
    "JobNotFound",
    "JobOptions",
    "JobState",
    "NoSeatsAvailable",
    "OutOfStock",
    "ProductNotFound",
    "Queue",
    "QueuesimError",
    "RecordingDriver",
    "ReservationError",
    "ReservationsBlocked",
    "Script",
    "ScriptCall",
    "SyncDriver",
    "TestMode",
    "Worker",
    "WorkerStats",
    "__version__",
    "check_invariants",
    "connect",
    "connect_async",
    "embedded_server",
    "load_script",
    "mask_url",
    "redis_url",
    "run",
    "run_async",
]
