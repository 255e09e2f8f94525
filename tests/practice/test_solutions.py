"""queuesim's reference solutions pass every check, from the package and as learner files; ``queuesim check``
reports in text and in JSON, with exit codes; bad files and bad arguments get one line each."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from queuesim.cli import main
from queuesim.practice import TASKS, check, check_all

from .conftest import SOLUTIONS


@pytest.mark.usefixtures("embedded")
@pytest.mark.parametrize("task", [t.number for t in TASKS])
def test_the_reference_solution_passes_every_check(task: int) -> None:
    report = check(task, solution=True)
    assert report.passed, report.text()
    assert report.solution


@pytest.mark.usefixtures("embedded")
def test_the_reference_solutions_pass_as_learner_files(solved: Callable[..., Path]) -> None:
    folder = solved()
    reports = check_all(folder)
    assert [r.task.number for r in reports if not r.passed] == [], "\n\n".join(r.text() for r in reports)


@pytest.mark.usefixtures("embedded")
def test_check_json_is_one_object_per_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--solution", "--all", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(TASKS)
    for number, line in enumerate(lines):
        report = json.loads(line)
        assert report["task"] == number
        assert report["passed"] is True
        assert set(report) >= {"task", "passed", "checks"}
        for item in report["checks"]:
            assert set(item) == {"name", "passed", "message"}
            assert item["passed"] is True
            assert item["message"] == "passed"


def test_check_exits_1_when_a_check_fails_and_says_why(stubs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "9-stock", "--path", str(stubs)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  GET /list_products answers 200 and the four products" in out
    assert "route_list_products is not written yet" in out
    assert "9-stock.py, line" in out
    assert "Traceback" not in out


def test_check_json_of_a_failing_task(stubs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "12", "--path", str(stubs), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["task"], report["passed"]) == (12, False)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert failed
    assert all("hint: " in c["message"] for c in failed)
    assert all("read: " in c["message"] for c in failed)


@pytest.mark.parametrize(("argv", "message"), [
    (["check"], "name one task"),
    (["check", "12", "--all"], "name one task"),
    (["check", "99"], "no task named '99'"),
    (["check", "12", "--path", "/nonexistent/practice"], "no folder /nonexistent/practice"),
])
def test_check_usage_errors_exit_2_with_one_line(argv: list[str], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("queuesim check: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_task_0_looks_at_the_redis_server_it_is_given(connected: object, r: object, backend: str) -> None:
    report = check(0)
    if backend == "fake":  # the embedded store is seeded when it starts
        assert report.passed, report.text()
        assert "the embedded store holds Holberton=School from the start" in report.notes[0]
        return
    assert not report.passed
    failed = [c for c in report.checks if not c.passed]
    assert [c.concept.key for c in failed if c.concept is not None] == ["seed"]
    assert main(["seed"]) == 0
    assert check(0).passed


def test_task_0_says_when_no_server_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    report = check(0)
    assert not report.passed
    assert report.checks[0].concept is not None
    assert report.checks[0].concept.key == "redis-server"
    assert "no Redis server answered at redis://127.0.0.1:1/0" in report.checks[0].message


def test_a_missing_file_fails_its_task_saying_how_to_get_it(tmp_path: Path) -> None:
    report = check("9-stock", tmp_path)
    assert not report.passed
    assert "9-stock.py is not in" in report.checks[0].message
    assert "queuesim practice init" in report.checks[0].message


def test_a_file_with_a_syntax_error_fails_in_one_line(stubs: Path) -> None:
    (stubs / "1-redis_op.py").write_text("def main(client)\n    pass\n", encoding="utf-8")
    report = check(2, stubs)
    assert [c.passed for c in report.checks] == [False]
    assert "1-redis_op.py does not load: SyntaxError" in report.checks[0].message
    assert "(line 1)" in report.checks[0].message


def test_a_file_that_raises_while_loading_names_its_line(stubs: Path) -> None:
    (stubs / "1-redis_op.py").write_text("import json\n\nraise RuntimeError('boom')\n", encoding="utf-8")
    report = check(2, stubs)
    assert "raised RuntimeError: boom in 1-redis_op.py, line 3" in report.checks[0].message


def test_an_edited_file_is_read_again(stubs: Path) -> None:
    assert not check(2, stubs).passed
    shutil.copy(SOLUTIONS / "redis_op.py", stubs / "1-redis_op.py")
    assert check(2, stubs).passed
