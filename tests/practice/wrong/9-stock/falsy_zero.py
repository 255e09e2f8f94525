"""Uses the initial stock whenever the remaining stock is falsy: 0 shows as the initial stock."""

CONCEPT = "falsy-zero"


def get_current_reserved_stock_by_id(client, item_id):
    raw = client.get(f"item.{item_id}")
    remaining = int(raw) if raw is not None else None
    return remaining or get_item_by_id(item_id)["initialAvailableQuantity"]
