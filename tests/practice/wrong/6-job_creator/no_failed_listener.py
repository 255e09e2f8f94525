"""Listens to 'complete' only: a failed job goes unreported."""

CONCEPT = "event-failed"


def create_notification_job(queue):
    job = queue.create({"phoneNumber": "4153518780", "message": "This is the code to verify your account"}).save()
    print(f"Notification job created: {job.id}")
    job.on("complete", lambda result: print("Notification job completed"))
    return job
