"""Task 13, solved with queuesim's seat service (:mod:`queuesim.seats`: one Lua script takes a seat)."""

from __future__ import annotations

import threading
from typing import Any

import redis

from queuesim import seats
from queuesim.errors import NoSeatsAvailable
from queuesim.practice.apps import SeatApp
from queuesim.queue import Job
from queuesim.seat_jobs import completed_line, failed_line

#: The seats left.
SEATS_KEY = seats.SEATS_KEY
#: The reservations switch: "0" off, "1" (or missing) on.
SWITCH_KEY = seats.SWITCH_KEY
#: The seats at the very first start.
INITIAL_SEATS = seats.INITIAL_SEATS

# /process requests run at once in the server's threads: one of them starts the worker
_starting = threading.Lock()


def initialize(client: redis.Redis) -> None:
    """Store INITIAL_SEATS unless a seat count is stored already."""
    seats.SeatService(client).initialize(INITIAL_SEATS)


def get_current_available_seats(client: redis.Redis) -> int:
    """The seats left."""
    return seats.get_current_available_seats(client)


def reservations_enabled(client: redis.Redis) -> bool:
    """Whether reservations are on."""
    return seats.SeatService(client).reservation_enabled()


def reserve_seat(client: redis.Redis) -> int:
    """Take one seat in one step (the last one switches reservations off); return the seats left.

    Raises:
        queuesim.NoSeatsAvailable: ``Not enough seats available`` when no seat is left.
    """
    result = seats.reserve_seat(client)
    if not result.reserved or result.remaining is None:
        raise NoSeatsAvailable(seats.NOT_ENOUGH_SEATS)
    return result.remaining


def process_reservation(job: Job) -> None:
    """The job handler: reserve one seat (raising fails the job with the error's message)."""
    reserve_seat(job.queue.client)


def route_available_seats(app: SeatApp) -> tuple[int, Any]:
    """GET /available_seats."""
    return 200, {"numberOfAvailableSeats": str(get_current_available_seats(app.client))}


def route_reserve_seat(app: SeatApp) -> tuple[int, Any]:
    """GET /reserve_seat."""
    if not reservations_enabled(app.client):
        return 409, {"status": "Reservation are blocked"}
    try:
        job = app.queue.create({}).save()
    except redis.RedisError:
        return 503, {"status": "Reservation failed"}
    job_id = job.id or "?"
    job.on("complete", lambda *_: app.log(completed_line(job_id)))
    job.on("failed", lambda error, *_: app.log(failed_line(job_id, error)))
    return 202, {"status": "Reservation in process"}


def route_process(app: SeatApp) -> tuple[int, Any]:
    """GET /process."""
    with _starting:
        if not app.workers:
            app.start_worker(process_reservation)
    return 200, {"status": "Queue processing"}


if __name__ == "__main__":
    import sys

    from queuesim.practice.runtime import serve_seats

    sys.exit(serve_seats(sys.modules[__name__]))
