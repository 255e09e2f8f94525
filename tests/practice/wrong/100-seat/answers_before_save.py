"""Answers 'Reservation in process' even when the job could not be saved."""

CONCEPT = "answer-after-save"


def route_reserve_seat(app):
    if not reservations_enabled(app.client):
        return 409, {"status": "Reservation are blocked"}
    try:
        job = app.queue.create({}).save()
        job.on("complete", lambda *_: app.log(f"Seat reservation job {job.id} completed"))
        job.on("failed", lambda error, *_: app.log(f"Seat reservation job {job.id} failed: {error}"))
    except Exception:
        pass
    return 202, {"status": "Reservation in process"}
