"""Decrements first and checks after: a job finding no seat leaves the count at -1."""

CONCEPT = "seats-below-zero"


def reserve_seat(client):
    left = client.decr(SEATS_KEY)
    if left < 0:
        raise ValueError("Not enough seats available")
    if left == 0:
        client.set(SWITCH_KEY, "0")
    return left
