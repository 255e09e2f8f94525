"""``queuesim practice init``: the stubs, under the course's names, never over a learner's work."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from queuesim.cli import main
from queuesim.practice import TASKS, FilesExist, check, init
from queuesim.practice.catalogue import CourseFile
from queuesim.practice.loader import ReferenceSubmission, load_path

from .conftest import ALL_FILES


def test_init_writes_one_stub_per_course_file(tmp_path: Path) -> None:
    written = init(tmp_path / "practice")
    assert [p.name for p in written.files] == [f.filename for f in ALL_FILES]
    for path in written.files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith('"""Task '), path.name
        assert "raise NotImplementedError" in text, path.name


def test_init_refuses_to_overwrite_and_says_how_to_force(tmp_path: Path) -> None:
    init(tmp_path)
    mine = tmp_path / "9-stock.py"
    mine.write_text("# my work\n", encoding="utf-8")
    with pytest.raises(FilesExist, match=r"nothing was written.*--force"):
        init(tmp_path)
    assert mine.read_text(encoding="utf-8") == "# my work\n"
    init(tmp_path, force=True)
    assert "raise NotImplementedError" in mine.read_text(encoding="utf-8")


def test_init_leaves_other_files_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    init(tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_init_refuses_a_file_as_folder(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        init(target)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["practice", "init", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Wrote 15 files" in out
    assert f"queuesim check 1 --path {tmp_path}" in out
    assert main(["practice", "init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("queuesim practice init: ")
    assert "--force" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["practice", "init", str(tmp_path), "--force"]) == 0
    assert main(["practice"]) == 2


def test_practice_list_names_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["practice", "list"]) == 0
    out = capsys.readouterr().out
    for task in TASKS:
        assert task.title in out
        assert f"notebooks/{task.notebook}.ipynb" in out


def _api(module: object) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(value) for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == getattr(module, "__name__", None)
            and not name.startswith("_")}


@pytest.mark.parametrize("file", ALL_FILES, ids=[f.name for f in ALL_FILES])
def test_each_stub_has_the_api_of_its_reference_solution(file: CourseFile, stubs: Path) -> None:
    stub = load_path(stubs / file.filename)
    solution = ReferenceSubmission().module(file)
    if file.name == "8-job_test":  # tests: the same names (the reference parametrizes one)
        assert _api(stub).keys() == _api(solution).keys()
    else:
        assert _api(stub) == _api(solution)
    for name in vars(stub):
        if name.isupper():
            assert name in vars(solution), name


def test_every_task_of_the_stubs_fails_with_messages_not_tracebacks(stubs: Path) -> None:
    for task in TASKS[1:]:
        report = check(task.number, stubs)
        assert not report.passed, report.text()
        failed = [c for c in report.checks if not c.passed]
        assert failed
        assert all(c.concept is not None for c in failed), report.text()
        assert any(c.concept is not None and c.concept.key == "not-written" for c in failed), report.text()
        for result in report.checks:
            assert "Traceback" not in result.message, report.text()
            assert "could not finish" not in result.message, report.text()


def test_a_stub_run_as_a_script_says_what_to_write(stubs: Path) -> None:
    done = subprocess.run([sys.executable, str(stubs / "1-redis_op.py")], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == 1
    assert "NotImplementedError: write main" in done.stderr
