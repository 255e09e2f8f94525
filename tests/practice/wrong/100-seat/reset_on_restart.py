"""Writes 50 seats at every start: a restart gives back seats already sold."""

CONCEPT = "keep-on-restart"


def initialize(client):
    client.set(SEATS_KEY, INITIAL_SEATS)
