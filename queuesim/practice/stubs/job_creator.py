"""Task 6 — the job creator (the course's 6-job_creator.js).

queuesim's queue plays Kue: ``queue.create(data).save()`` saves a job and gives
it its id, ``job.on(event, callback)`` calls ``callback`` when the job's event
happens, whichever process runs the job.

``create_notification_job(queue)``, given the queue ``push_notification_code``:

* creates and saves one job whose data is ``{"phoneNumber": <str>, "message": <str>}``;
* prints ``Notification job created: <id>``;
* prints ``Notification job completed`` when the job completes
  (its event ``complete``), and ``Notification job failed`` when it fails
  (its event ``failed``);
* returns the job.

Run it with the processor: ``queuesim store`` in one terminal, then with
``REDIS_URL=redis://127.0.0.1:6390/0``: ``python 6-job_processor.py`` and
``python 6-job_creator.py``.
Check it, from this folder: ``queuesim check 6-job_creator``
(from elsewhere add ``--path DIR``).
"""

from __future__ import annotations

from queuesim.queue import Job, Queue

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code"


def create_notification_job(queue: Queue) -> Job:
    """Save one notification job on ``queue``, print its id, report its outcome; return it."""
    raise NotImplementedError("write create_notification_job")


if __name__ == "__main__":  # provided: creates the job, waits for its outcome (REDIS_URL, else the embedded store)
    from queuesim.practice.runtime import run_creator

    run_creator(create_notification_job, QUEUE_NAME)
