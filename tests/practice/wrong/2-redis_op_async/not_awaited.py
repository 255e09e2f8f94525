"""Forgets await: prints the coroutine object instead of the value."""

CONCEPT = "await"


async def display_school_value(client, school_name):
    print(client.get(school_name))
