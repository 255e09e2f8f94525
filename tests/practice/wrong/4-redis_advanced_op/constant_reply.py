"""Prints 'Reply: 1' whatever HSET answered: wrong on a second run, where each field exists."""

CONCEPT = "hset-reply"


def create_hash(client):
    for city, count in SCHOOLS.items():
        client.hset(HASH_KEY, city, count)
        print("Reply: 1")
