"""Publishes at once: the delay is never waited."""

CONCEPT = "delay-ms"


def publish_message(client, message, delay_ms):
    print(f"About to send {message}")
    client.publish(CHANNEL, message)
