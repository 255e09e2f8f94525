"""Guards GET-then-SET with SET NX, but every worker deletes the lock at the end, also one that did not get
it: it frees the lock of the worker holding it, and a third worker gets in. Two workers cannot break it; it
takes three, and the race finder."""

CONCEPT = "lock-owner"

LOCK_KEY = "seat_lock"


def reserve_seat(client):
    try:
        if not client.set(LOCK_KEY, 1, nx=True):
            raise ValueError("Not enough seats available")
        left = get_current_available_seats(client)
        if left < 1:
            raise ValueError("Not enough seats available")
        client.set(SEATS_KEY, left - 1)
        if left == 1:
            client.set(SWITCH_KEY, "0")
        return left - 1
    finally:
        client.delete(LOCK_KEY)
