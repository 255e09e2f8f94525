"""Prints the id before saving: the job has no id yet."""

CONCEPT = "save-first"


def create_notification_job(queue):
    job = queue.create({"phoneNumber": "4153518780", "message": "This is the code to verify your account"})
    print(f"Notification job created: {job.id}")
    job.save()
    job.on("complete", lambda result: print("Notification job completed"))
    job.on("failed", lambda error: print("Notification job failed"))
    return job
