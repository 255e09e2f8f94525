"""The exercise registry: the original names, one-line summaries, loadable entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest

from queuesim.exercises import EXERCISES, Exercise, get_exercise

ORIGINAL_NAMES = [
    "0-redis_client",
    "1-redis_op",
    "2-redis_op_async",
    "4-redis_advanced_op",
    "5-subscriber",
    "5-publisher",
    "6-job_creator",
    "6-job_processor",
    "7-job_creator",
    "7-job_processor",
    "8-job-main",
]


def test_names_are_the_original_file_names_in_course_order() -> None:
    assert list(EXERCISES)[: len(ORIGINAL_NAMES)] == ORIGINAL_NAMES


@pytest.mark.parametrize("name", ORIGINAL_NAMES)
def test_each_entry_loads_and_has_a_one_line_summary(name: str) -> None:
    exercise = get_exercise(name)
    assert exercise.name == name
    assert exercise.summary.strip() == exercise.summary
    assert exercise.summary
    assert "\n" not in exercise.summary
    assert callable(exercise.load())


def test_pubsub_and_job_exercises_need_two_processes() -> None:
    assert {e.name for e in EXERCISES.values() if e.cross_process} == {
        "5-subscriber", "5-publisher", "6-job_creator", "6-job_processor", "7-job_creator", "7-job_processor"
    }


def test_job_creators_take_a_timeout_and_processors_burst() -> None:
    options = {e.name: e.options for e in EXERCISES.values() if e.options}
    assert options == {
        "6-job_creator": ("timeout",),
        "6-job_processor": ("burst",),
        "7-job_creator": ("timeout",),
        "7-job_processor": ("burst",),
    }


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="1-redis_op"):
        get_exercise("3-nothing")


def test_bad_target_fails_on_load_not_on_import() -> None:
    broken = Exercise("9-broken", "does not exist", "queuesim.exercises.basics:no_such_function")
    with pytest.raises(AttributeError):
        broken.load()


def test_importing_the_registry_does_not_import_the_exercises() -> None:
    code = (
        "import sys, queuesim.exercises as e; "
        "print(sorted(m for m in sys.modules if m.startswith('queuesim.exercises.') "
        "and m.rsplit('.', 1)[1] in ('commands', 'store', 'tour', 'stopping')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
