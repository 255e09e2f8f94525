"""Reads the leading digits of the id, as JavaScript's parseInt: '1abc' becomes product 1."""

import re

CONCEPT = "product-id"


def _product(item_id):
    digits = re.match(r"\d+", item_id)
    return None if digits is None else get_item_by_id(int(digits.group()))
