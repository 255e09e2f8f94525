"""Plain functions that hand back coroutines: nothing is async def, nothing awaits."""

CONCEPT = "async-def"


def set_new_school(client, school_name, value):
    return client.set(school_name, value)
