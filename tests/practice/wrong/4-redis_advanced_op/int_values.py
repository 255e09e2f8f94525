"""Turns the values into numbers: HGETALL gives strings, as Redis stores them."""

CONCEPT = "strings"


def display_hash(client):
    print({field: int(value) for field, value in client.hgetall(HASH_KEY).items()})
