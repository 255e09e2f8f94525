"""Task 13 — Can I have a seat? (the course's 100-seat.js).

An HTTP service on port 1245 sells 50 seats through a job queue: a request
only queues a reservation job; a worker reserves the seat later. queuesim
provides the web app and a :class:`~queuesim.practice.apps.SeatApp` that each
route gets as ``app``: ``app.client`` (Redis), ``app.queue`` (the queue
``reserve_seat``), ``app.start_worker(handler)`` (starts a worker in this
process; ``app.workers`` lists those started) and ``app.log(line)``.

The state lives in Redis, so every server process sees it and a restart keeps it:

* ``available_seats`` holds the seats left (50 at the very first start);
* ``reservation_enabled`` is the switch: ``"0"`` means off; missing or ``"1"`` means on.

The logic, as plain functions of a Redis client:

* ``initialize(client)``: at start, store 50 seats **only if** no count is stored;
* ``get_current_available_seats(client)``: the seats left, as an int;
* ``reservations_enabled(client)``: whether the switch is on;
* ``reserve_seat(client)``: take one seat in one step (many workers may run
  it at once); taking the last one switches reservations off; with no seat
  left raise an error ``Not enough seats available`` and take nothing (the
  count never goes below 0). Returns the seats left.

The job handler, ``process_reservation(job)``, reserves one seat.

The routes:

* ``GET /available_seats`` → 200 ``{"numberOfAvailableSeats": "50"}`` (a string, as the course);
* ``GET /reserve_seat`` → 409 ``{"status": "Reservation are blocked"}`` when reservations
  are off; else save a job on ``app.queue`` and answer 202
  ``{"status": "Reservation in process"}``, or 503 ``{"status": "Reservation failed"}``
  if saving failed. When the job completes the service prints
  ``Seat reservation job <id> completed``; when it fails,
  ``Seat reservation job <id> failed: <error>`` (``app.log``);
* ``GET /process`` → 200 ``{"status": "Queue processing"}``, and the queue is
  processed: the first call starts one worker, later calls start no more.

Run it: ``python 100-seat.py``.
Check it, from this folder: ``queuesim check 100-seat``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from typing import Any

import redis

from queuesim.practice.apps import SeatApp
from queuesim.queue import Job

#: The seats left.
SEATS_KEY = "available_seats"
#: The reservations switch: "0" off, "1" (or missing) on.
SWITCH_KEY = "reservation_enabled"
#: The seats at the very first start.
INITIAL_SEATS = 50


def initialize(client: redis.Redis) -> None:
    """Store INITIAL_SEATS unless a seat count is stored already."""
    raise NotImplementedError("write initialize")


def get_current_available_seats(client: redis.Redis) -> int:
    """The seats left."""
    raise NotImplementedError("write get_current_available_seats")


def reservations_enabled(client: redis.Redis) -> bool:
    """Whether reservations are on."""
    raise NotImplementedError("write reservations_enabled")


def reserve_seat(client: redis.Redis) -> int:
    """Take one seat in one step (the last one switches reservations off); return the seats left.

    Raises:
        Exception: ``Not enough seats available`` when no seat is left (nothing is taken).
    """
    raise NotImplementedError("write reserve_seat")


def process_reservation(job: Job) -> None:
    """The job handler: reserve one seat (raising fails the job with the error's message)."""
    raise NotImplementedError("write process_reservation")


def route_available_seats(app: SeatApp) -> tuple[int, Any]:
    """GET /available_seats."""
    raise NotImplementedError("write route_available_seats")


def route_reserve_seat(app: SeatApp) -> tuple[int, Any]:
    """GET /reserve_seat."""
    raise NotImplementedError("write route_reserve_seat")


def route_process(app: SeatApp) -> tuple[int, Any]:
    """GET /process."""
    raise NotImplementedError("write route_process")


if __name__ == "__main__":  # provided: serves your routes on port 1245 (REDIS_URL, else the embedded store)
    import sys

    from queuesim.practice.runtime import serve_seats

    sys.exit(serve_seats(sys.modules[__name__]))
