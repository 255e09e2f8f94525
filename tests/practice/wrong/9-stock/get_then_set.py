"""Reads the stock, then writes it: two buyers of the last unit both get it."""

CONCEPT = "get-then-set"


def reserve_stock_by_id(client, item_id):
    left = get_current_reserved_stock_by_id(client, item_id)
    if left < 1:
        return False
    client.set(f"item.{item_id}", left - 1)
    return True
