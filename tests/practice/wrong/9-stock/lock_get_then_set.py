"""Guards GET-then-SET with a lock key of its own, but checks the lock with GET and takes it with SET: two
buyers can both find it free. Every schedule of two buyers with one preemption passes; it takes the race
finder's schedules (both buyers between the check and the take) to break it."""

CONCEPT = "hand-made-lock"


def reserve_stock_by_id(client, item_id):
    lock = f"lock.item.{item_id}"
    if client.get(lock):
        return False
    client.set(lock, 1)
    try:
        left = get_current_reserved_stock_by_id(client, item_id)
        if left < 1:
            return False
        client.set(f"item.{item_id}", left - 1)
        return True
    finally:
        client.delete(lock)
