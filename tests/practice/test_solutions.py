"""queuesim's reference solutions pass every check, from the package and as learner files; ``queuesim check``
reports in text and in JSON, with exit codes; bad files and bad arguments get one line each."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from queuesim.cli import main
from queuesim.practice import TASKS, check, check_all

from .conftest import SOLUTIONS


@pytest.mark.usefixtures("embedded")
@pytest.mark.parametrize("task", [t.number for t in TASKS if t.files])
def test_the_reference_solution_passes_every_check(task: int) -> None:
    report = check(task, solution=True)
    assert report.passed, report.text()
    assert report.solution


@pytest.mark.usefixtures("embedded")
def test_the_reference_solutions_pass_as_learner_files(solved: Callable[..., Path]) -> None:
    folder = solved()
    reports = check_all(folder)
    # task 0 is a Redis server of the learner's: without REDIS_URL it is not done (tested below)
    assert [r.task.number for r in reports if not r.passed] == [0], "\n\n".join(r.text() for r in reports)


@pytest.mark.usefixtures("embedded")
def test_check_json_is_one_object_per_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--solution", "--all", "--json"]) == 1  # task 0 needs REDIS_URL: not done here
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(TASKS)
    for number, line in enumerate(lines):
        report = json.loads(line)
        assert report["task"] == number
        assert report["passed"] is (number != 0)
        assert set(report) >= {"task", "passed", "checks"}
        for item in report["checks"]:
            assert set(item) == {"name", "passed", "message"}
            if number:
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


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="task 0 needs a real Redis server (REDIS_URL)")
@pytest.mark.parametrize("backend", ["real"], indirect=True)
def test_task_0_looks_at_the_redis_server_it_is_given(connected: object, r: object) -> None:
    report = check(0)
    assert not report.passed
    failed = [c for c in report.checks if not c.passed]
    assert [c.concept.key for c in failed if c.concept is not None] == ["seed"]
    assert main(["seed"]) == 0
    assert check(0).passed
    assert check(0, solution=True).passed


@pytest.mark.usefixtures("embedded")
@pytest.mark.parametrize("argv", [["check", "0"], ["check", "0", "--solution"]])
def test_task_0_without_redis_url_needs_a_server(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAIL  REDIS_URL names your Redis server" in out
    assert "REDIS_URL is not set: task 0 is a Redis server of your own" in out
    assert "export REDIS_URL=redis://127.0.0.1:6379/0" in out
    report = check(0)
    assert [c.concept.key for c in report.checks if c.concept is not None] == ["redis-server"]


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


@pytest.mark.parametrize("argv", [["check", "9-stock"], ["check", "--all"], ["check", "1", "--json"]])
def test_check_where_there_are_no_practice_files_says_to_pass_path(argv: list[str], tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "practice").mkdir()
    monkeypatch.chdir(tmp_path)  # the parent of the practice folder, where a new user first tries
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("queuesim check: no practice files in this folder: pass --path DIR, the folder "
                            "`queuesim practice init DIR` wrote (or run queuesim check inside it)\n")
    assert main([*argv, "--path", "practice"]) == 2
    assert "no practice files in practice: pass --path DIR" in capsys.readouterr().err


def test_check_inside_the_practice_folder_needs_no_path(stubs: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(stubs)
    assert main(["check", "1"]) == 1
    assert "0-redis_client.py loads" in capsys.readouterr().out


def test_checks_needing_an_extra_that_is_not_installed_say_which(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m == "fastapi" or m.startswith("fastapi.")
                   or m.startswith(("queuesim.practice.apps", "queuesim.practice.loopback",
                                    "queuesim.practice.checks.stock", "queuesim.practice.checks.routes"))]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if queuesim were installed without its web extra
    report = check(12, solution=True)
    assert not report.passed
    assert report.checks[-1].got == "fastapi is not installed here: python -m pip install 'queuesim[web]'"
