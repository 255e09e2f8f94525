"""Prints what redis-py returned for SET (True), not the server's OK."""

CONCEPT = "reply-ok"


def set_new_school(client, school_name, value):
    print(f"Reply: {client.set(school_name, value)}")
