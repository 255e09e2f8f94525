"""Reports a failure without its error's message."""

CONCEPT = "event-lines"


def create_notification_jobs(queue, jobs=JOBS):
    made = []
    for data in jobs:
        job = queue.create(data).save()
        print(f"Notification job created: {job.id}")
        job.on("complete", lambda result, i=job.id: print(f"Notification job {i} completed"))
        job.on("failed", lambda error, i=job.id: print(f"Notification job {i} failed"))
        job.on("progress", lambda pct, data=None, i=job.id: print(f"Notification job {i} {pct}% complete"))
        made.append(job)
    return made
