"""Task 11 — testing job creation (the course's 8-job.test.js), with pytest.

Test ``create_push_notifications_jobs`` of 8-job.py in the queue's test mode,
where saved jobs are recorded in ``queue.test_mode.jobs`` (ids "1", "2", …)
and nothing reaches Redis: ``queue.test_mode.enter()``, ``.clear()``, ``.exit()``.

* the ``queue`` fixture gives the queue ``push_notification_code_3`` on
  ``client``, in test mode for the test, cleared and left afterwards;
* one test checks that something other than a list raises ``Jobs is not an array``;
* one test creates two jobs and checks what was recorded: how many, their
  ids, their queue and their data.

Run them: ``python -m pytest 8-job_test.py``. ``queuesim check 8-job_test`` (from this
folder; from elsewhere add ``--path DIR``)
runs them on a correct 8-job.py (they must pass) and on wrong ones (they must fail).
"""

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
    """Provided: a client on an empty store of its own."""
    made = fresh_client()
    yield made
    made.close()


@pytest.fixture
def create_push_notifications_jobs() -> Callable[..., Any]:
    """Provided: the function under test, from 8-job.py beside this file."""
    function: Callable[..., Any] = course_file("8-job", __file__).create_push_notifications_jobs
    return function


@pytest.fixture
def queue(client: redis.Redis) -> Iterator[Queue]:
    """The queue push_notification_code_3 on ``client``, in test mode during the test."""
    raise NotImplementedError("write the queue fixture")


def test_display_an_error_message_if_jobs_is_not_an_array(
    queue: Queue, create_push_notifications_jobs: Callable[..., Any]
) -> None:
    """Something other than a list raises 'Jobs is not an array'."""
    raise NotImplementedError("write this test")


def test_create_two_new_jobs_to_the_queue(queue: Queue, create_push_notifications_jobs: Callable[..., Any]) -> None:
    """Two jobs are recorded, with their ids, queue and data."""
    raise NotImplementedError("write this test")
