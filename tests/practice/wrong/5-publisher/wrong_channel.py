"""Publishes on another channel than the subscriber's."""

CONCEPT = "publish"


def main(client):
    for message in MESSAGES:
        print(f"About to send {message}")
        client.publish("holberton_school_channel", message)
