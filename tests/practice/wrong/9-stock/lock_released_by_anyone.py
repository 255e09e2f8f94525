"""Guards GET-then-SET with SET NX, but every buyer deletes the lock at the end, also one that did not get it:
it frees the lock of the buyer holding it, and a third buyer gets in. Two buyers cannot break it; it takes
three, and the race finder."""

CONCEPT = "lock-owner"


def reserve_stock_by_id(client, item_id):
    lock = f"lock.item.{item_id}"
    try:
        if not client.set(lock, 1, nx=True):
            return False
        left = get_current_reserved_stock_by_id(client, item_id)
        if left < 1:
            return False
        client.set(f"item.{item_id}", left - 1)
        return True
    finally:
        client.delete(lock)
