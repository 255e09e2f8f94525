"""The practice notebooks (notebooks/practice/): ``make practice`` makes them again byte for byte; in a kernel,
their check cells grade the learner's cells with the checks of ``queuesim check``: with the stubs unfilled they
fail with the checks' messages ("not written yet"), nothing else errors; solved (otter's autograder notebook,
the reference solutions in place) every check passes. :mod:`queuesim.practice.notebook` grades as the CLI does.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from queuesim.practice import TASKS, check, check_cells
from queuesim.practice.catalogue import Task, course_file_named
from queuesim.practice.notebook import cell_file, cell_sources

from .conftest import WrongSolution, solution_source, with_overrides, wrong_solutions

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "notebooks" / "practice"
NOTEBOOKS = sorted({task.notebook for task in TASKS})
STUB_RAISE = re.compile(r"raise NotImplementedError\(")


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def tasks_of(notebook: str) -> list[Task]:
    return [task for task in TASKS if task.notebook == notebook]


def answer_cells(path: Path) -> dict[str, str]:
    """The cells the learner writes, by course name."""
    cells = [c for c in read(path)["cells"] if "otter_answer_cell" in c["metadata"].get("tags", [])]
    return {cell_file("".join(c["source"])) or "": "".join(c["source"]) for c in cells}


# --------------------------------------------------------------------------- building


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make practice`` into a fresh folder, otter's autograder notebooks (the solved ones) in its ``autograder/``."""
    pytest.importorskip("otter")
    out = tmp_path_factory.mktemp("practice")
    done = subprocess.run(
        [sys.executable, str(PRACTICE / "build.py"), "--out", str(out), "--autograder", str(out / "autograder")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_make_practice_gives_the_committed_notebooks_byte_for_byte(built: Path) -> None:
    for folder in ("", "masters"):
        committed = sorted(p.name for p in (PRACTICE / folder).glob("*.ipynb"))
        assert committed == [f"{name}.ipynb" for name in NOTEBOOKS], f"notebooks/practice/{folder}"
        changed = [name for name in committed
                   if (built / folder / name).read_bytes() != (PRACTICE / folder / name).read_bytes()]
        assert changed == [], f"run `make practice`: these differ from what it makes: {changed}"


def test_one_practice_notebook_per_solution_notebook_under_its_name() -> None:
    assert len(NOTEBOOKS) == 12
    for name in NOTEBOOKS:
        assert (ROOT / "notebooks" / f"{name}.ipynb").is_file(), name
        assert (PRACTICE / f"{name}.ipynb").is_file(), name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_practice_notebook_has_statement_stub_hints_and_check_per_task(name: str) -> None:
    notebook = read(PRACTICE / f"{name}.ipynb")
    cells = notebook["cells"]
    text = ["".join(c["source"]) for c in cells]
    assert all(c.get("outputs", []) == [] for c in cells if c["cell_type"] == "code"), "committed without outputs"
    assert 'grader = otter.Notebook("' + name + '.ipynb")' in text[0]
    tests = notebook["metadata"]["otter"]["tests"]
    for task in tasks_of(name):
        question = f"task{task.number:02d}"
        heading = next(i for i, t in enumerate(text) if t == f"## {task.label}")
        check_cell = text.index(f'grader.check("{question}")')
        between = text[heading:check_cell]
        for file in task.files:
            assert any(t.startswith(f"### Your turn: `{file.filename}`") for t in between), file.filename
            assert any(t.startswith(f"# {file.filename}\n") for t in between), file.filename
        assert any(t.startswith("<details>") and "../" in t and ".ipynb#" in t for t in between), "hints"
        assert f"check_cells({task.number}, env)" in tests[question]
        assert "assert verdict.passed, verdict.message" in tests[question]
    assert "SOLUTION" not in json.dumps(cells)
    assert "PROMPT" not in json.dumps(cells)


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n != "task00_redis_instance"])
def test_the_learner_sees_the_stub_and_no_solution(name: str) -> None:
    """Every function the file route's stub leaves to write is ``...`` in the cell, with the stub's signature."""
    from queuesim.practice.templates import stub_source

    cells = answer_cells(PRACTICE / f"{name}.ipynb")
    for task in tasks_of(name):
        for file in task.files:
            cell = ast.parse(cells[file.name])
            stub = ast.parse(stub_source(file))
            written = {n.name: n for n in cell.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
            for node in stub.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and STUB_RAISE.search(ast.unparse(node)):
                    mine = written[node.name]
                    assert ast.unparse(mine.args) == ast.unparse(node.args), node.name
                    assert ast.unparse(mine.body[-1]) == "...", f"{file.filename}: {node.name} shows a solution"
            assert "queuesim.exercises" not in cells[file.name]  # the reference solutions' building blocks


# --------------------------------------------------------------------------- grading cells (no kernel)


def cell_of_solution(name: str) -> str:
    file = course_file_named(name)
    return f"# {file.filename}\n{solution_source(file)}"


def test_cell_file_reads_the_first_line() -> None:
    assert cell_file("# 9-stock.py\nx = 1\n") == "9-stock"
    assert cell_file("\n#  8-job_test.py \n") == "8-job_test"
    assert cell_file("# 9-stock.py is mine\n") is None
    assert cell_file("x = 1  # 9-stock.py\n") is None
    assert cell_file("# 99-nothing.py\n") is None
    assert cell_file("") is None


def test_the_last_run_of_a_cell_is_graded() -> None:
    history = ["", "# 9-stock.py\nA = 1\n", "print(1)", "# 1-redis_op.py\nB = 2\n", "# 9-stock.py\nA = 2\n"]
    assert cell_sources(history) == {"9-stock": "# 9-stock.py\nA = 2\n", "1-redis_op": "# 1-redis_op.py\nB = 2\n"}


def test_an_unwritten_cell_fails_not_written_yet_at_the_cells_line(tmp_path: Path) -> None:
    cell = answer_cells(PRACTICE / "task02_basic_operations.ipynb")["1-redis_op"]
    lines = cell.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("def set_new_school"))
    dots = lines.index("    ...", head) + 1
    verdict = check_cells(2, sources={"1-redis_op": cell}, folder=tmp_path)
    assert not verdict.passed
    assert f"set_new_school is not written yet: its body is still `...` (in 1-redis_op.py, line {dots})" \
        in verdict.message
    assert "Traceback" not in verdict.message
    assert (tmp_path / "1-redis_op.py").read_text(encoding="utf-8") == cell  # graded as written


def test_a_cell_that_has_not_run_is_named() -> None:
    verdict = check_cells(10, sources={"8-job": cell_of_solution("8-job")})
    assert not verdict.passed
    assert verdict.not_run == ("8-job-main",)
    assert "FAIL  the cell of 8-job-main.py has run" in verdict.message
    assert "the cell that starts with `# 8-job-main.py` run before this check" in verdict.message


def test_outside_a_kernel_the_history_is_the_notebooks_in() -> None:
    """otter passes the notebook's globals as ``env``; without an IPython shell their ``In`` is the history."""
    unwritten = answer_cells(PRACTICE / "task02_basic_operations.ipynb")["1-redis_op"]
    assert not check_cells(2, env={"In": ["", cell_of_solution("1-redis_op"), unwritten]}).passed
    assert check_cells(2, env={"In": ["", unwritten, "x = 1", cell_of_solution("1-redis_op")]}).passed


@pytest.mark.parametrize("task", [2, 5, 10, 12])
def test_the_reference_solution_in_the_cells_passes(task: int) -> None:
    files = TASKS[task].files
    verdict = check_cells(task, sources={f.name: cell_of_solution(f.name) for f in files})
    assert verdict.passed, verdict.message


WRONG = {w.id: w for w in wrong_solutions()}


@pytest.mark.parametrize("wrong_id", ["9-stock/get_then_set", "1-redis_op/reply_true", "6-job_creator/completed_event",
                                      "100-seat/local_switch"])
def test_the_notebook_and_the_cli_give_the_same_verdict(wrong_id: str, tmp_path: Path) -> None:
    wrong: WrongSolution = WRONG.get(wrong_id) or pytest.fail(f"no wrong solution {wrong_id}: {sorted(WRONG)}")
    file = course_file_named(wrong.course_file)
    cell = f"# {file.filename}\n" + with_overrides(solution_source(file), wrong.path.read_text(encoding="utf-8"))
    verdict = check_cells(wrong.course_file, sources={file.name: cell}, folder=tmp_path)
    assert (tmp_path / file.filename).read_text(encoding="utf-8") == cell
    from_cli = check(wrong.course_file, tmp_path)
    assert verdict.report.to_json() == from_cli.to_json()
    assert not verdict.passed
    assert wrong.concept in {c.concept.key for c in verdict.report.checks if c.concept is not None}


# --------------------------------------------------------------------------- in a kernel


def kernel_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.update(extra)
    return env


def execute(path: Path, **env: str) -> list[dict[str, Any]]:
    """Run ``path`` top to bottom in a fresh kernel of this interpreter, from its folder; its cells."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=240,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=kernel_environment(**env), cwd=str(path.parent))
    return list(notebook.cells)


def output_text(cell: dict[str, Any]) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
        if output.get("output_type") == "error":
            parts.append(f"ERROR {output['ename']}: {output['evalue']}")
    return "\n".join(parts)


def check_outputs(cells: list[dict[str, Any]]) -> dict[str, str]:
    found = {}
    for cell in cells:
        match = re.fullmatch(r'grader\.check\("(task\d\d)"\)', cell.source.strip())
        if cell.cell_type == "code" and match:
            found[match[1]] = output_text(cell)
    return found


def errors(cells: list[dict[str, Any]]) -> list[str]:
    return [output_text(c) for c in cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_unfilled_the_notebook_runs_and_each_check_fails_with_its_message(name: str, tmp_path: Path) -> None:
    shutil.copy(PRACTICE / f"{name}.ipynb", tmp_path)
    cells = execute(tmp_path / f"{name}.ipynb")
    assert errors(cells) == []
    shown = check_outputs(cells)
    assert sorted(shown) == [f"task{t.number:02d}" for t in tasks_of(name)]
    for task in tasks_of(name):
        said = shown[f"task{task.number:02d}"]
        if not task.files:  # task 0 is a server of the learner's own: without REDIS_URL it is not done
            assert "FAIL  REDIS_URL names your Redis server" in said, said
            continue
        assert "Test case failed" in said, said
        assert "AssertionError: " + task.label in said, said
        assert "not written yet" in said, said
        assert "checks passed: not yet" in said, said
        assert "Traceback" not in said, said


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solved_every_check_passes(name: str, built: Path) -> None:
    folder = built / "autograder"
    cells = execute(folder / f"{name}.ipynb")
    assert errors(cells) == []
    shown = check_outputs(cells)
    assert sorted(shown) == [f"task{t.number:02d}" for t in tasks_of(name)]
    for question, said in shown.items():
        if question == "task00":  # needs a server of the learner's own: the real-server test below solves it
            assert "FAIL  REDIS_URL names your Redis server" in said, said
            continue
        assert f"{question} results: All test cases passed!" in said, said


@pytest.mark.slow
@pytest.mark.real
@pytest.mark.timeout(300)
def test_task0_against_a_real_server_fails_until_the_key_is_written(tmp_path: Path) -> None:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL names no real server")
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    client.delete("Holberton")
    name = "task00_redis_instance"
    shutil.copy(PRACTICE / f"{name}.ipynb", tmp_path)
    unfilled = check_outputs(execute(tmp_path / f"{name}.ipynb", REDIS_URL=url))["task00"]
    assert "holds Holberton = School" in unfilled, unfilled
    assert "expected: 'School'" in unfilled, unfilled
    assert "got: None" in unfilled, unfilled
    notebook = read(tmp_path / f"{name}.ipynb")
    for cell in notebook["cells"]:
        if "otter_answer_cell" in cell["metadata"].get("tags", []):
            cell["source"] = "".join(cell["source"]).replace("...", 'client.set("Holberton", "School")')
    (tmp_path / f"{name}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    filled = check_outputs(execute(tmp_path / f"{name}.ipynb", REDIS_URL=url))["task00"]
    assert "task00 results: All test cases passed!" in filled, filled
    client.delete("Holberton")
    client.close()
