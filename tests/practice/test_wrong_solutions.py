"""Typical wrong solutions (tests/practice/wrong/) fail, the failing check names the mistake, and the
verdict and its messages are the same on every run."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from queuesim.practice import check
from queuesim.practice.catalogue import course_file_named, find_task

from .conftest import ALL_FILES, WrongSolution, solution_source, with_overrides, wrong_solutions

CATALOGUE = wrong_solutions()
#: Names of queuesim's own code that must not reach a learner's message (it speaks the learner's terms).
INTERNAL = re.compile(r"create_three|<lambda>|explore_two_clients|\bfind_race\b|\b_run_tests|\bclient \d\b|"
                      r"\btarget\b|queuesim\.practice\.")


@pytest.mark.parametrize("wrong", CATALOGUE, ids=[w.id for w in CATALOGUE])
def test_a_wrong_solution_fails_naming_its_mistake(wrong: WrongSolution, solved: Callable[..., Path]) -> None:
    file = course_file_named(wrong.course_file)
    source = with_overrides(solution_source(file), wrong.path.read_text(encoding="utf-8"))
    folder = solved({file.name: source})
    report = check(wrong.course_file, folder)
    failed = [c for c in report.checks if not c.passed]
    assert failed, f"{wrong.id} passed every check:\n{report.text()}"
    concepts = {c.concept.key for c in failed if c.concept is not None}
    assert wrong.concept in concepts, f"{wrong.id}: expected the hint {wrong.concept!r}, got {concepts}\n{report}"
    for result in failed:
        assert "could not finish" not in result.message, report.text()
        assert "Traceback" not in result.message, report.text()
        assert not INTERNAL.search(result.message), report.text()


def test_every_task_with_files_has_at_least_two_wrong_solutions() -> None:
    per_task: dict[int, int] = {}
    for wrong in CATALOGUE:
        task = find_task(wrong.course_file).number
        per_task[task] = per_task.get(task, 0) + 1
    assert {task: count for task, count in per_task.items() if count < 2} == {}
    assert sorted(per_task) == list(range(1, 14))


def test_the_overrides_replace_the_reference_definitions() -> None:
    base = "'''doc'''\nfrom __future__ import annotations\nimport os\nA = 1\n\ndef f():\n    return A\n\n" \
           "if __name__ == '__main__':\n    f()\n"
    merged = with_overrides(base, "import re\nCONCEPT = 'x'\nA = 2\n\ndef g():\n    return 3\n")
    namespace: dict[str, object] = {"__name__": "merged"}
    exec(compile(merged, "merged", "exec"), namespace)
    assert namespace["A"] == 2
    assert "CONCEPT" not in namespace
    assert callable(namespace["g"])
    assert "re" in namespace
    assert merged.index("def g") < merged.index("if __name__")


@pytest.mark.parametrize(
    "mistake", ["9-stock/get_then_set", "100-seat/get_then_set", "9-stock/lock_released_by_anyone",
                "100-seat/lock_get_then_set", "7-job_processor/done_after_failure"]
)
def test_the_same_verdict_and_messages_on_every_run(mistake: str, solved: Callable[..., Path]) -> None:
    wrong = next(w for w in wrong_solutions() if w.id == mistake)
    file = next(f for f in ALL_FILES if f.name == wrong.course_file)
    folder = solved({file.name: with_overrides(solution_source(file), wrong.path.read_text(encoding="utf-8"))})
    runs = [check(wrong.course_file, folder).to_json() for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert runs[0]["passed"] is False
