"""Prints every event of the subscription, its confirmation (1) included."""

CONCEPT = "subscribe-confirmation"


def subscriber(client):
    pubsub = client.pubsub()
    pubsub.subscribe(CHANNEL)
    for message in pubsub.listen():
        print(message["data"])
        if message["data"] == KILL_SERVER:
            pubsub.unsubscribe(CHANNEL)
            break
    pubsub.close()
