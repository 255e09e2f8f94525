"""The error test asserts nothing: a function that accepts anything passes it."""

CONCEPT = "tests-catch"


def test_display_an_error_message_if_jobs_is_not_an_array(queue, create_push_notifications_jobs):
    create_push_notifications_jobs(list(TWO_JOBS), queue)
