"""Every error queuesim raises on purpose, as one small tree.

* QueuesimError                 -- root: catch this to catch anything queuesim raises on purpose
  + ConnectionFailed            -- no Redis server answered at the URL (after bounded retries)
  + InvalidURL                  -- REDIS_URL (or a url argument) is not a Redis URL
  + JobError                    -- a job operation could not be done
    - JobNotFound               -- no job with that id
    - InvalidJobOption          -- an option given to a job is out of range or of the wrong type
    - InvalidTransition         -- the job is not in a state that allows the move
    - JobFailed                 -- a job awaited for its result failed for good
  + ReservationError            -- a reservation could not be made
    - ProductNotFound           -- no product with that id
    - OutOfStock                -- the product has no stock left
    - NoSeatsAvailable          -- no seat is left
    - ReservationsBlocked       -- reservations are switched off

Argument errors that are plain programming mistakes stay ``TypeError`` and
``ValueError``, as in the standard library.
"""

from __future__ import annotations

__all__ = [
    "ConnectionFailed",
    "InvalidJobOption",
    "InvalidTransition",
    "InvalidURL",
    "JobError",
    "JobFailed",
    "JobNotFound",
    "NoSeatsAvailable",
    "OutOfStock",
    "ProductNotFound",
    "QueuesimError",
    "ReservationError",
    "ReservationsBlocked",
]


class QueuesimError(Exception):
    """Base class of every error queuesim raises on purpose."""


class ConnectionFailed(QueuesimError):
    """No Redis server answered at the given URL after the bounded retries."""


class InvalidURL(QueuesimError, ValueError):
    """A Redis URL could not be understood."""


class JobError(QueuesimError):
    """A job operation could not be done."""


class JobNotFound(JobError, LookupError):
    """No job exists with the given id."""


class InvalidJobOption(JobError, ValueError):
    """A job option is out of range or of the wrong type."""


class InvalidTransition(JobError):
    """The job is not in a state that allows the requested move."""


class JobFailed(JobError):
    """A job whose result was awaited failed for good; ``error`` is its error message."""

    def __init__(self, job_id: str, error: str) -> None:
        super().__init__(f"job {job_id} failed: {error}")
        self.job_id = job_id
        self.error = error


class ReservationError(QueuesimError):
    """A reservation could not be made."""


class ProductNotFound(ReservationError, LookupError):
    """No product exists with the given id."""


class OutOfStock(ReservationError):
    """The product has no stock left."""


class NoSeatsAvailable(ReservationError):
    """No seat is left."""


class ReservationsBlocked(ReservationError):
    """Reservations are switched off."""
