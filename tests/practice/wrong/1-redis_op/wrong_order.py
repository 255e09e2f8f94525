"""Sets the new school before displaying Holberton: the calls out of the course's order."""

CONCEPT = "call-order"


def main(client):
    set_new_school(client, "HolbertonSanFrancisco", "100")
    display_school_value(client, "Holberton")
    display_school_value(client, "HolbertonSanFrancisco")
