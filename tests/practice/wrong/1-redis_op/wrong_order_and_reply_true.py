"""Both mistakes of main at once: out of order, and the set prints redis-py's True; the order is named first."""

CONCEPT = "call-order"


def set_new_school(client, school_name, value):
    print(f"Reply: {client.set(school_name, value)}")


def main(client):
    set_new_school(client, "HolbertonSanFrancisco", "100")
    display_school_value(client, "Holberton")
    display_school_value(client, "HolbertonSanFrancisco")
