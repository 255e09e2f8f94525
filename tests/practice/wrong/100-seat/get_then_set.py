"""Reads the seats, then writes them: two workers take the same seat."""

CONCEPT = "seat-race"


def reserve_seat(client):
    left = get_current_available_seats(client)
    if left < 1:
        raise ValueError("Not enough seats available")
    client.set(SEATS_KEY, left - 1)
    if left - 1 == 0:
        client.set(SWITCH_KEY, "0")
    return left - 1
