"""queuesim: learn, build and load-test queuing systems on Redis.

Every public name is importable from here, but loaded on first use (PEP 562):
``import queuesim`` costs almost nothing, and ``queuesim.Queue`` brings in the
queue (and Redis's client) without the simulation, the web apps or the
notebooks' stacks, which come only with the names that need them.
"""

import importlib as _importlib
import logging as _logging
import typing as _typing

from queuesim._version import __version__

# A library leaves output to the application: without this, Python's last-resort handler
# would print queuesim's warnings to stderr even where logging was never set up.
_logging.getLogger("queuesim").addHandler(_logging.NullHandler())

#: Where each public name lives (imported when first asked for).
_LAZY: dict[str, str] = {
    "EmbeddedStoreWarning": "queuesim.connection",
    "connect": "queuesim.connection",
    "connect_async": "queuesim.connection",
    "embedded_server": "queuesim.connection",
    "mask_url": "queuesim.connection",
    "redis_url": "queuesim.connection",
    "AsyncDriver": "queuesim.drivers",
    "Batch": "queuesim.drivers",
    "Pause": "queuesim.drivers",
    "RecordingDriver": "queuesim.drivers",
    "SyncDriver": "queuesim.drivers",
    "run": "queuesim.drivers",
    "run_async": "queuesim.drivers",
    "ConnectionFailed": "queuesim.errors",
    "InvalidJobOption": "queuesim.errors",
    "InvalidTransition": "queuesim.errors",
    "InvalidURL": "queuesim.errors",
    "JobError": "queuesim.errors",
    "JobFailed": "queuesim.errors",
    "JobNotFound": "queuesim.errors",
    "NoSeatsAvailable": "queuesim.errors",
    "OutOfStock": "queuesim.errors",
    "ProductNotFound": "queuesim.errors",
    "QueuesimError": "queuesim.errors",
    "ReservationError": "queuesim.errors",
    "ReservationsBlocked": "queuesim.errors",
    "display_school_value_async": "queuesim.exercises.async_ops",
    "redis_client_async": "queuesim.exercises.async_ops",
    "set_new_school_async": "queuesim.exercises.async_ops",
    "display_school_value": "queuesim.exercises.basics",
    "set_new_school": "queuesim.exercises.basics",
    "redis_client": "queuesim.exercises.client",
    "display_hash": "queuesim.exercises.hashes",
    "set_hash_field": "queuesim.exercises.hashes",
    "create_push_notifications_jobs": "queuesim.exercises.job_creation",
    "create_notification_job": "queuesim.exercises.notifications",
    "process_notification": "queuesim.exercises.notifications",
    "send_notification": "queuesim.exercises.notifications",
    "create_notification_jobs": "queuesim.exercises.notifications_progress",
    "process_notification_with_progress": "queuesim.exercises.notifications_progress",
    "send_notification_with_progress": "queuesim.exercises.notifications_progress",
    "listen_for_messages": "queuesim.exercises.pubsub",
    "publish_message": "queuesim.exercises.pubsub",
    "seed_store": "queuesim.exercises.seed",
    "PRIORITIES": "queuesim.queue",
    "AsyncEventHub": "queuesim.queue",
    "Event": "queuesim.queue",
    "Job": "queuesim.queue",
    "JobOptions": "queuesim.queue",
    "JobState": "queuesim.queue",
    "Queue": "queuesim.queue",
    "TestMode": "queuesim.queue",
    "Worker": "queuesim.queue",
    "WorkerStats": "queuesim.queue",
    "AsyncJob": "queuesim.queue.aio",
    "AsyncQueue": "queuesim.queue.aio",
    "AsyncWorker": "queuesim.queue.aio",
    "check_invariants": "queuesim.queue.invariants",
    "Script": "queuesim.scripts",
    "ScriptCall": "queuesim.scripts",
    "load_script": "queuesim.scripts",
    "SeatProcessor": "queuesim.seat_jobs",
    "SeatReservation": "queuesim.seats",
    "SeatService": "queuesim.seats",
    "SeatStatus": "queuesim.seats",
    "get_current_available_seats": "queuesim.seats",
    "reserve_seat": "queuesim.seats",
    "reset_seats": "queuesim.seats",
    "AsyncStockService": "queuesim.stock",
    "Product": "queuesim.stock",
    "Reservation": "queuesim.stock",
    "ReservationStatus": "queuesim.stock",
    "StockService": "queuesim.stock",
    "StockStrategy": "queuesim.stock",
    "get_current_reserved_stock_by_id": "queuesim.stock",
    "get_item_by_id": "queuesim.stock",
    "list_products": "queuesim.stock",
    "reserve_stock_by_id": "queuesim.stock",
    "reset_stock": "queuesim.stock",
    "Strategy": "queuesim.supply",
}

if _typing.TYPE_CHECKING:  # the names, for type checkers and editors
    from queuesim.connection import (
        EmbeddedStoreWarning,
        connect,
        connect_async,
        embedded_server,
        mask_url,
        redis_url,
    )
    from queuesim.drivers import (
        AsyncDriver,
        Batch,
        Pause,
        RecordingDriver,
        SyncDriver,
        run,
        run_async,
    )
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
    from queuesim.exercises.basics import (
        display_school_value,
        set_new_school,
    )
    from queuesim.exercises.client import (
        redis_client,
    )
    from queuesim.exercises.hashes import (
        display_hash,
        set_hash_field,
    )
    from queuesim.exercises.job_creation import (
        create_push_notifications_jobs,
    )
    from queuesim.exercises.notifications import (
        create_notification_job,
        process_notification,
        send_notification,
    )
    from queuesim.exercises.notifications_progress import (
        create_notification_jobs,
        process_notification_with_progress,
        send_notification_with_progress,
    )
    from queuesim.exercises.pubsub import (
        listen_for_messages,
        publish_message,
    )
    from queuesim.exercises.seed import (
        seed_store,
    )
    from queuesim.queue import (
        PRIORITIES,
        AsyncEventHub,
        Event,
        Job,
        JobOptions,
        JobState,
        Queue,
        TestMode,
        Worker,
        WorkerStats,
    )
    from queuesim.queue.aio import (
        AsyncJob,
        AsyncQueue,
        AsyncWorker,
    )
    from queuesim.queue.invariants import (
        check_invariants,
    )
    from queuesim.scripts import (
        Script,
        ScriptCall,
        load_script,
    )
    from queuesim.seat_jobs import (
        SeatProcessor,
    )
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
    from queuesim.supply import (
        Strategy,
    )

__all__ = [
    "PRIORITIES",
    "AsyncDriver",
    "AsyncEventHub",
    "AsyncJob",
    "AsyncQueue",
    "AsyncStockService",
    "AsyncWorker",
    "Batch",
    "ConnectionFailed",
    "EmbeddedStoreWarning",
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


def __getattr__(name: str) -> _typing.Any:
    """Import a public name's module the first time the name is used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'queuesim' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
