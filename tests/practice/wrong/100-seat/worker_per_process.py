"""Starts a new worker on every /process, as the original did."""

CONCEPT = "one-worker"


def route_process(app):
    app.start_worker(process_reservation)
    return 200, {"status": "Queue processing"}
