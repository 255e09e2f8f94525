"""Guards GET-then-SET with a lock key of its own, but checks the lock with GET and takes it with SET: two
workers can both find it free (a worker that finds it taken gives up). Every schedule of two workers with one
preemption passes; it takes the race finder's schedules to break it."""

CONCEPT = "hand-made-lock"

LOCK_KEY = "seat_lock"


def reserve_seat(client):
    if client.get(LOCK_KEY):
        raise ValueError("Not enough seats available")
    client.set(LOCK_KEY, 1)
    try:
        left = get_current_available_seats(client)
        if left < 1:
            raise ValueError("Not enough seats available")
        client.set(SEATS_KEY, left - 1)
        if left == 1:
            client.set(SWITCH_KEY, "0")
        return left - 1
    finally:
        client.delete(LOCK_KEY)
