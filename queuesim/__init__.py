"""queuesim: learn, build and load-test queuing systems on Redis."""

from queuesim._version import __version__
from queuesim.connection import connect, connect_async, embedded_server, mask_url, redis_url
from queuesim.drivers import AsyncDriver, Batch, Pause, RecordingDriver, SyncDriver, run, run_async
from queuesim.errors import (
    ConnectionFailed,
    InvalidJobOption,
    InvalidTransition,
    InvalidURL,
    JobError,
    JobFailed,
    JobNotFound,
    NoSeatsAvailable,
    OutOfStock,
    ProductNotFound,
    QueuesimError,
    ReservationError,
    ReservationsBlocked,
)
from queuesim.exercises.async_ops import (
    display_school_value_async,
    redis_client_async,
    set_new_school_async,
)
from queuesim.exercises.basics import display_school_value, set_new_school
from queuesim.exercises.client import redis_client
from queuesim.exercises.hashes import display_hash, set_hash_field
from queuesim.exercises.job_creation import create_push_notifications_jobs
from queuesim.exercises.notifications import create_notification_job, process_notification, send_notification
from queuesim.exercises.notifications_progress import (
    create_notification_jobs,
    process_notification_with_progress,
    send_notification_with_progress,
)
from queuesim.exercises.pubsub import listen_for_messages, publish_message
from queuesim.exercises.seed import seed_store
from queuesim.queue import PRIORITIES, Event, Job, JobOptions, JobState, Queue, TestMode, Worker, WorkerStats
from queuesim.queue.aio import AsyncJob, AsyncQueue, AsyncWorker
from queuesim.queue.invariants import check_invariants
from queuesim.scripts import Script, ScriptCall, load_script
from queuesim.seat_jobs import SeatProcessor
from queuesim.seats import (
    SeatReservation,
    SeatService,
    SeatStatus,
    get_current_available_seats,
    reserve_seat,
    reset_seats,
)
from queuesim.stock import (
    AsyncStockService,
    Product,
    Reservation,
    ReservationStatus,
    StockService,
    StockStrategy,
    get_current_reserved_stock_by_id,
    get_item_by_id,
    list_products,
    reserve_stock_by_id,
    reset_stock,
)
from queuesim.supply import Strategy

__all__ = [
    "PRIORITIES",
    "AsyncDriver",
    "AsyncJob",
    "AsyncQueue",
    "AsyncStockService",
    "AsyncWorker",
    "Batch",
    "ConnectionFailed",
    "Event",
    "InvalidJobOption",
    "InvalidTransition",
    "InvalidURL",
    "Job",
    "JobError",
    "JobFailed",
    "JobNotFound",
    "JobOptions",
    "JobState",
    "NoSeatsAvailable",
    "OutOfStock",
    "Pause",
    "Product",
    "ProductNotFound",
    "Queue",
    "QueuesimError",
    "RecordingDriver",
    "Reservation",
    "ReservationError",
    "ReservationStatus",
    "ReservationsBlocked",
    "Script",
    "ScriptCall",
    "SeatProcessor",
    "SeatReservation",
    "SeatService",
    "SeatStatus",
    "StockService",
    "StockStrategy",
    "Strategy",
    "SyncDriver",
    "TestMode",
    "Worker",
    "WorkerStats",
    "__version__",
    "check_invariants",
    "connect",
    "connect_async",
    "create_notification_job",
    "create_notification_jobs",
    "create_push_notifications_jobs",
    "display_hash",
    "display_school_value",
    "display_school_value_async",
    "embedded_server",
    "get_current_available_seats",
    "get_current_reserved_stock_by_id",
    "get_item_by_id",
    "list_products",
    "listen_for_messages",
    "load_script",
    "mask_url",
    "process_notification",
    "process_notification_with_progress",
    "publish_message",
    "redis_client",
    "redis_client_async",
    "redis_url",
    "reserve_seat",
    "reserve_stock_by_id",
    "reset_seats",
    "reset_stock",
    "run",
    "run_async",
    "seed_store",
    "send_notification",
    "send_notification_with_progress",
    "set_hash_field",
    "set_new_school",
    "set_new_school_async",
]
