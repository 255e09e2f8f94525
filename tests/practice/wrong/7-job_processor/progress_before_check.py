"""Reports 50% before looking at the blacklist."""

CONCEPT = "blacklist-first"


def send_notification(phone_number, message, job):
    job.progress(0, 100)
    job.progress(50, 100)
    if phone_number in BLACKLISTED_NUMBERS:
        raise ValueError(f"Phone number {phone_number} is blacklisted")
    print(f"Sending notification to {phone_number}, with message: {message}")
