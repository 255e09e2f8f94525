"""Says 'connected' when the client is made: redis-py connects lazily, so nothing was tried."""

CONCEPT = "lazy-connect"


def redis_client(client, attempts=3):
    print("Redis client connected to the server")
    return client
