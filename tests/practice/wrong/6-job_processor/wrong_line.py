"""Prints the sending line without its comma."""

CONCEPT = "sending-line"


def send_notification(phone_number, message):
    print(f"Sending notification to {phone_number} with message: {message}")
