"""Leaves the client's error text out of the 'not connected' line."""

import redis

CONCEPT = "not-connected-line"


def redis_client(client, attempts=3):
    for attempt in range(attempts):
        try:
            client.ping()
        except redis.exceptions.ConnectionError:
            print("Redis client not connected to the server")
            if attempt == attempts - 1:
                raise
            continue
        print("Redis client connected to the server")
        return client
    return client
