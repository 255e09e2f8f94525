"""Keeps the reservations switch in a variable of the process: another process never sees it off."""

CONCEPT = "switch-in-redis"

_enabled = {"on": True}


def reservations_enabled(client):
    return _enabled["on"]


def reserve_seat(client):
    left = seats.reserve_seat(client)
    if not left.reserved:
        raise NoSeatsAvailable(seats.NOT_ENOUGH_SEATS)
    if left.remaining == 0:
        _enabled["on"] = False
    return left.remaining
