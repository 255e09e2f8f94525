"""Sets the six fields with one HSET: one reply (6) instead of one per field."""

CONCEPT = "hset-per-field"


def create_hash(client):
    print(f"Reply: {client.hset(HASH_KEY, mapping=SCHOOLS)}")
