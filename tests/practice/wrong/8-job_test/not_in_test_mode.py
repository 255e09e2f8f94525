"""Tests without the queue's test mode: the jobs land in Redis."""

CONCEPT = "test-mode"


@pytest.fixture
def queue(client):
    made = Queue(QUEUE_NAME, redis=client)
    yield made
    made.close()


def test_create_two_new_jobs_to_the_queue(queue, create_push_notifications_jobs):
    jobs = create_push_notifications_jobs(list(TWO_JOBS), queue)
    assert [job.data for job in jobs] == TWO_JOBS
    assert sum(queue.counts().values()) == 2
