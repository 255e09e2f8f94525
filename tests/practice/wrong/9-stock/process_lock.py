"""Guards GET-then-SET with a lock of this process: another server process is not stopped by it."""

import threading

CONCEPT = "process-lock"

_lock = threading.Lock()


def reserve_stock_by_id(client, item_id):
    with _lock:
        left = get_current_reserved_stock_by_id(client, item_id)
        if left < 1:
            return False
        client.set(f"item.{item_id}", left - 1)
        return True
