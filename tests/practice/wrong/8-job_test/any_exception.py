"""Expects any exception: a wrong message passes."""

import pytest

CONCEPT = "tests-catch"


def test_display_an_error_message_if_jobs_is_not_an_array(queue, create_push_notifications_jobs):
    with pytest.raises(Exception):
        create_push_notifications_jobs("4153518780", queue)
