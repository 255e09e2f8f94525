"""Retries until the server answers, as Node's client did: a dead server hangs the program."""

import redis

CONCEPT = "bounded-retries"


def redis_client(client, attempts=3):
    while True:
        try:
            client.ping()
        except redis.exceptions.ConnectionError as error:
            print(f"Redis client not connected to the server: {error}")
            continue
        print("Redis client connected to the server")
        return client
