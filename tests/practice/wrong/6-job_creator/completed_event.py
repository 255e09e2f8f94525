"""Listens to 'completed': the event is called 'complete'."""

CONCEPT = "event-complete"


def create_notification_job(queue):
    job = queue.create({"phoneNumber": "4153518780", "message": "This is the code to verify your account"}).save()
    print(f"Notification job created: {job.id}")
    job.on("completed", lambda result: print("Notification job completed"))
    job.on("failed", lambda error: print("Notification job failed"))
    return job
