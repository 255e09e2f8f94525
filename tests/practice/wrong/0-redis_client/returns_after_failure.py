"""Gives up after the attempts but returns the client, so the caller goes on with a dead connection."""

import redis

CONCEPT = "raise-after-retries"


def redis_client(client, attempts=3):
    for _ in range(attempts):
        try:
            client.ping()
        except redis.exceptions.ConnectionError as error:
            print(f"Redis client not connected to the server: {error}")
            continue
        print("Redis client connected to the server")
        break
    return client
