"""Never checks that jobs is a list: a string makes one job per character, or a confusing error."""

CONCEPT = "jobs-not-array"


def create_push_notifications_jobs(jobs, queue):
    made = []
    for data in jobs:
        job = queue.create(data).save()
        print(f"Notification job created: {job.id}")
        made.append(job)
    return made
