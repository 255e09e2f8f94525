"""Prints KILL_SERVER and listens on: it never stops."""

CONCEPT = "kill-server"


def subscriber(client):
    pubsub = client.pubsub()
    pubsub.subscribe(CHANNEL)
    for message in pubsub.listen():
        if message["type"] == "message":
            print(message["data"])
