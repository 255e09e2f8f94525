"""Task 11, solved: the course's Mocha suite as pytest tests, in the queue's test mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from queuesim.practice.runtime import course_file, fresh_client
from queuesim.queue import Queue

#: The queue (Kue's job type).
QUEUE_NAME = "push_notification_code_3"
#: Two jobs to create.
TWO_JOBS = [
    {"phoneNumber": "4153518780", "message": "This is the code 1234 to verify your account"},
    {"phoneNumber": "4153518781", "message": "This is the code 4562 to verify your account"},
]


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    """A client on an empty store of its own."""
    made = fresh_client()
    yield made
    made.close()


@pytest.fixture
def create_push_notifications_jobs() -> Callable[..., Any]:
    """The function under test, from 8-job.py beside this file."""
    function: Callable[..., Any] = course_file("8-job", __file__).create_push_notifications_jobs
    return function


@pytest.fixture
def queue(client: redis.Redis) -> Iterator[Queue]:
    """The queue push_notification_code_3 on ``client``, in test mode during the test."""
    made = Queue(QUEUE_NAME, redis=client)
    made.test_mode.enter()
    yield made
    made.test_mode.clear()
    made.test_mode.exit()
    made.close()


@pytest.mark.parametrize("jobs", ["hello", {"phoneNumber": "4153518780", "message": "hi"}, None, 42, tuple(TWO_JOBS)])
def test_display_an_error_message_if_jobs_is_not_an_array(
    queue: Queue, create_push_notifications_jobs: Callable[..., Any], jobs: Any
) -> None:
    """Something other than a list raises 'Jobs is not an array'."""
    with pytest.raises(Exception, match=r"^Jobs is not an array$"):
        create_push_notifications_jobs(jobs, queue)
    assert queue.test_mode.jobs == []


def test_create_two_new_jobs_to_the_queue(queue: Queue, create_push_notifications_jobs: Callable[..., Any]) -> None:
    """Two jobs are recorded, with their ids, queue and data."""
    create_push_notifications_jobs(list(TWO_JOBS), queue)
    recorded = queue.test_mode.jobs
    assert [job.id for job in recorded] == ["1", "2"]
    assert [job.queue.name for job in recorded] == [QUEUE_NAME, QUEUE_NAME]
    assert [job.data for job in recorded] == TWO_JOBS
