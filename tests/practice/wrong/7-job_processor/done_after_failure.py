"""Catches the blacklist error and returns: the job completes (Kue's done() after done(error))."""

CONCEPT = "raise-to-fail"


def process_notification(job):
    try:
        send_notification(job.data["phoneNumber"], job.data["message"], job)
    except ValueError as error:
        print(error)
