"""Build the practice notebooks: otter-grader master notebooks from queuesim's own material, then ``otter assign``.

Usage: ``python notebooks/practice/build.py [--out DIR] [--autograder DIR]`` (``make practice``).

1. For each solution notebook of the course (``notebooks/taskNN_<name>.ipynb``; two
   tasks share one where the course splits a program in two), a master notebook in
   otter's format is written to ``DIR/masters/<same name>.ipynb``, from
   :mod:`queuesim.practice`: the task's statement (its stub's docstring), one code
   cell per course file (the stub, with the reference solution of each function in
   a ``# BEGIN SOLUTION`` block), hints (the concepts its checks name, with their
   sections of the solution notebook) and a test that calls
   :func:`queuesim.practice.notebook.check_cells`, the checks of ``queuesim check``.
2. ``otter assign`` turns each master into the student notebook, ``DIR/<same
   name>.ipynb`` (every solution block becomes ``...``; the test becomes a
   ``grader.check("taskNN")`` cell, its code kept in the notebook's metadata), and
   into an autograder notebook (the solutions kept): ``--autograder DIR`` keeps those.

The output is byte-identical from run to run (cell ids are numbered, no outputs are
stored), so the committed notebooks are regenerated and compared by
tests/practice/test_notebooks.py. ``DIR`` defaults to this folder.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import inspect
import io
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from queuesim.practice.catalogue import TASKS, CourseFile, Task
from queuesim.practice.feedback import CONCEPTS, Concept
from queuesim.practice.loader import defined_names

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
GENERAL = {"loads", "not-written"}  # hints every task shares: docs/practice.md tells them once

CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
generate: false
show_question_points: false
tests:
  files: false
  ok_format: false
"""

TASK0_CELL = '''\
from queuesim import connect

# the store the checks read: the server named by REDIS_URL when it is set, else the embedded store
client = connect(embedded=True)
# write the key Holberton with the value School into it
# BEGIN SOLUTION
client.set("Holberton", "School")
# END SOLUTION
client.get("Holberton")
'''

TASK0_STATEMENT = """\
The course starts with a Redis server of your own that holds the key `Holberton` with
the value `School`. Run one (a package: `apt-get install redis-server`, or a container:
`docker run -p 6379:6379 redis`), point queuesim at it before you start Jupyter
(`export REDIS_URL=redis://127.0.0.1:6379/0`), and write the key into it in the cell
below (`redis-cli SET Holberton School` or `queuesim seed` do the same from a terminal).

Without `REDIS_URL`, queuesim uses its embedded store, an in-process Redis that holds
`Holberton = School` from the start: the tasks that follow run the same on it, but this
check fails, because it proves nothing about a server of yours."""


# --------------------------------------------------------------------------- sources


def _module_source(package: str, module: str) -> str:
    return (resources.files(package) / f"{module}.py").read_text(encoding="utf-8")


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_main_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def _first_line(node: ast.stmt, lines: list[str]) -> int:
    """The node's first line (0-based), decorators and the comments right above it included."""
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)]) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    return first


def _text(node: ast.stmt, lines: list[str]) -> list[str]:
    end = node.end_lineno or node.lineno
    return lines[_first_line(node, lines):end]


def _is_stub_function(node: ast.stmt) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    head = ast.unparse(node.args), ast.unparse(node.returns) if node.returns else "", type(node).__name__
    return repr((head, [ast.unparse(d) for d in node.decorator_list]))


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> list[str]:
    """The function's body without its docstring, as written (comments kept)."""
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    start = body[0].lineno - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return lines[start:node.body[-1].end_lineno]


def _as_prompt(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> list[str]:
    """The stub function with ``...`` for its body (what the learner sees)."""
    raise_line = node.body[-1].lineno - 1
    indent = re.match(r"\s*", lines[raise_line])
    head = lines[_first_line(node, lines):raise_line]
    return [*head, f"{indent.group(0) if indent else '    '}..."]


def _is_empty_value(node: ast.stmt) -> bool:
    """An assignment of an empty value (``()``, ``[]``, ``None``…): a constant the stub leaves to the learner."""
    value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
    if isinstance(value, ast.Tuple | ast.List | ast.Set):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    return isinstance(value, ast.Constant) and value.value in (None, "", 0)


def _solution_block(solution: list[str], prompt: list[str]) -> list[str]:
    """The master's lines where the solution has ``solution`` and the learner sees ``prompt``."""
    return ["# BEGIN SOLUTION NO PROMPT", *solution, "# END SOLUTION", "\'\'\' # BEGIN PROMPT", *prompt,
            "\'\'\' # END PROMPT"]


def answer_cell(file: CourseFile) -> str:
    """The master's code cell for ``file``: the stub without its docstring and its ``__main__`` block, where each
    function the learner writes holds the reference solution's body in a solution block, and the solution's
    own imports and helpers sit in blocks the learner does not see."""
    stub = _module_source("queuesim.practice.stubs", file.module)
    solution = _module_source("queuesim.practice.solutions", file.module)
    stub_lines, solution_lines = stub.splitlines(), solution.splitlines()
    stub_tree, solution_tree = ast.parse(stub), ast.parse(solution)
    defined = {name: n for n in solution_tree.body for name in defined_names(n)}
    stub_names = set().union(*(defined_names(n) for n in stub_tree.body))
    stub_imports = {ast.unparse(n) for n in stub_tree.body if isinstance(n, ast.Import | ast.ImportFrom)}

    imports: list[str] = []  # the solution's own imports, then its helpers, in its order
    helpers: list[str] = []
    for node in solution_tree.body:
        if _is_docstring(node) or _is_main_block(node) or defined_names(node) & stub_names:
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            if ast.unparse(node) not in stub_imports:
                imports.extend(_text(node, solution_lines))
            continue
        spacing = ["", ""] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else [""]
        helpers.extend([*(spacing if helpers else []), *_text(node, solution_lines)])

    body = [n for n in stub_tree.body if not (_is_docstring(n) or _is_main_block(n))]
    last_import = max((i for i, n in enumerate(body) if isinstance(n, ast.Import | ast.ImportFrom)), default=-1)
    first_function = next((i for i, n in enumerate(body) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
                          len(body))
    out = [f"# {file.filename}"]
    for index, node in enumerate(body):
        previous_end = body[index - 1].end_lineno if index else (stub_tree.body[0].end_lineno or 0)
        out.extend(line for line in stub_lines[previous_end or 0:_first_line(node, stub_lines)] if not line.strip())
        if index == first_function and helpers:
            out.extend(["# BEGIN SOLUTION NO PROMPT", *helpers, "", "", "# END SOLUTION"])
        if isinstance(node, ast.Assign | ast.AnnAssign) and _is_empty_value(node):
            reference = next((defined[name] for name in defined_names(node) if name in defined), None)
            if reference is not None and ast.unparse(reference) != ast.unparse(node):  # the learner writes it
                comments = stub_lines[_first_line(node, stub_lines):node.lineno - 1]
                out.extend(comments)
                out.extend(_solution_block(solution_lines[reference.lineno - 1:reference.end_lineno],
                                           stub_lines[node.lineno - 1:node.end_lineno]))
                continue
        if not _is_stub_function(node):
            out.extend(_text(node, stub_lines))
        else:
            out.extend(_function(node, defined.get(node.name), stub_lines, solution_lines, file))
        if index == last_import and imports:
            out.extend(["# BEGIN SOLUTION NO PROMPT", *imports, "# END SOLUTION"])
    if helpers and first_function == len(body):
        out.extend(["", "", "# BEGIN SOLUTION NO PROMPT", *helpers, "# END SOLUTION"])
    text = "\n".join(out).rstrip() + "\n"
    return re.sub(r"\n{4,}", "\n\n\n", text)


def _function(node: ast.stmt, reference: ast.stmt | None, stub_lines: list[str], solution_lines: list[str],
              file: CourseFile) -> list[str]:
    """A function the learner writes: the stub's head, the reference solution's body in a solution block."""
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    if not isinstance(reference, ast.FunctionDef | ast.AsyncFunctionDef):
        raise SystemExit(f"{file.module}: the reference solution has no function {node.name}")
    if _signature(reference) != _signature(node):  # a test parametrised, say: the whole function is the solution
        return _solution_block(_text(reference, solution_lines), _as_prompt(node, stub_lines))
    indent = re.match(r"\s*", stub_lines[node.body[-1].lineno - 1])
    pad = indent.group(0) if indent else "    "
    return [
        *stub_lines[_first_line(node, stub_lines):node.body[-1].lineno - 1],
        f"{pad}# BEGIN SOLUTION",
        *_reindent(_body_lines(reference, solution_lines), pad),
        f"{pad}# END SOLUTION",
    ]


def _reindent(lines: list[str], pad: str) -> list[str]:
    block = textwrap.dedent("\n".join(lines)).splitlines()
    return [f"{pad}{line}" if line.strip() else "" for line in block]


_ROLE = re.compile(r":[a-z]+:`~?(?:[\w.]+\.)?([\w]+)`")


def statement(file: CourseFile) -> str:
    """The task as the stub's docstring states it, in Markdown, without the file route's run/check lines."""
    tree = ast.parse(_module_source("queuesim.practice.stubs", file.module))
    text = ast.get_docstring(tree) or ""
    text = _ROLE.sub(r"`\1`", text).replace("``", "`")
    text = re.sub(r"\ATask [^\n(]*\(the course's ([^)]+)\)\.", r"*The course's `\1`.*", text)
    paragraphs = []
    for paragraph in text.split("\n\n"):
        sentences = re.split(r"(?<=\.)\s+", paragraph)
        kept = [s for s in sentences if not s.startswith(("Run it", "Run them", "Check it"))]
        if kept:
            paragraphs.append(re.sub(r"::$", ":", " ".join(kept) if len(kept) < len(sentences) else paragraph,
                                     flags=re.MULTILINE))
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- hints


def _slug(heading: str) -> str:
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s+", "-", text).strip("-")


def _concept_keys(task: Task, shared: bool) -> list[str]:
    """The concepts ``task``'s checks name: those its checker mentions, and (when it has the solution notebook to
    itself) every concept that points into that notebook."""
    module_name, _, function = task.checker.partition(":")
    source = inspect.getsource(getattr(importlib.import_module(module_name), function))
    named = {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and n.value in CONCEPTS}
    page = f"notebooks/{task.notebook}.ipynb"
    keys = [c.key for c in CONCEPTS.values()
            if c.key not in GENERAL and (c.key in named or (not shared and c.page == page))]
    return keys


def _pointer(concept: Concept) -> str:
    page = Path(concept.page)
    if page.suffix == ".ipynb":
        return f"[{page.stem}, “{concept.section}”](../{page.name}#{_slug(concept.section)})"
    return f"`{concept.page}`, “{concept.section}”"


def hints(task: Task, shared: bool) -> str:
    """The hints of ``task``, folded: one line per concept, with the section of the notebook that shows it."""
    items = [f"- {CONCEPTS[key].text} — {_pointer(CONCEPTS[key])}" for key in _concept_keys(task, shared)]
    return "\n".join([
        "<details>",
        "<summary><b>Hints</b> (open them when a check fails: each names a concept, and where the solution "
        "notebook shows it)</summary>",
        "",
        *items,
        "",
        f"The whole solution, step by step: [{task.notebook}](../{task.notebook}.ipynb).",
        "</details>",
    ])


# --------------------------------------------------------------------------- masters


def question(task: Task) -> str:
    """The otter question's name: ``task12``."""
    return f"task{task.number:02d}"


def _test_cell(task: Task) -> str:
    name = f"test_{question(task)}"
    return (
        f"def {name}(env):\n"
        f'    """The checks of `queuesim check {task.number}`, on the cells as last run."""\n'
        "    from queuesim.practice.notebook import check_cells\n"
        f"    verdict = check_cells({task.number}, env)\n"
        "    assert verdict.passed, verdict.message\n"
    )


def _files_text(task: Task) -> str:
    return ", ".join(f"`{f.filename}`" for f in task.files)


def master(notebook: str, tasks: list[Task]) -> NotebookNode:
    """The otter master notebook for the solution notebook ``notebook`` and its tasks."""
    new_md, new_code, new_raw = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell, nbformat.v4.new_raw_cell
    cells: list[NotebookNode] = [new_raw(CONFIG.format(name=notebook))]
    numbers = " and ".join(str(t.number) for t in tasks)
    titles = " · ".join(t.title for t in tasks)
    files = ", ".join(_files_text(t) for t in tasks if t.files)
    checks = " and ".join(f'`grader.check("{question(t)}")`' for t in tasks)
    cells.append(new_md("\n".join([
        f"# Practice — task{'s' if len(tasks) > 1 else ''} {numbers}: {titles}",
        "",
        f"Your turn: write {files or 'the setup of task 0'} yourself, here, and check it as you go. "
        f"The solution notebook, [{notebook}](../{notebook}.ipynb), shows one way step by step; "
        "try first, then read it.",
        "",
        "1. Read the task, then fill in the code cell under “Your turn”"
        + (" (it starts with the file's name)" if files else "")
        + ": replace each `...` with your code, and run it.",
        f"2. Run the check cell below it ({checks}): it runs the checks of `queuesim check`, "
        "on the cell as you last ran it, and says for each what was expected, what came, and a hint. "
        "Your cell is graded as the file on its own, so keep in it every import it uses; line numbers in the "
        "messages count from its top.",
        "3. Stuck? Open the hints under the cell.",
        "",
        "Everything runs here, offline, on queuesim's embedded store (an in-process Redis) unless "
        "`REDIS_URL` names a server. The checks need `pip install 'queuesim[practice]'` (otter-grader).",
    ])))
    shared = len(tasks) > 1
    for task in tasks:
        cells.append(new_md(f"## {task.label}"))
        cells.append(new_raw(f"# BEGIN QUESTION\nname: {question(task)}\n"))
        pieces = [(f, statement(f), answer_cell(f)) for f in task.files] or [(None, TASK0_STATEMENT, TASK0_CELL)]
        for file, text, code in pieces:
            title = f"### Your turn: `{file.filename}`" if file is not None else "### Your turn"
            cells.append(new_md(f"{title}\n\n{text}"))
            cells.append(new_raw("# BEGIN SOLUTION"))
            cells.append(new_code(code))
            cells.append(new_raw("# END SOLUTION"))
        cells.append(new_md(hints(task, shared)))
        cells.append(new_raw("# BEGIN TESTS"))
        cells.append(new_code(_test_cell(task)))
        cells.append(new_raw("# END TESTS"))
        cells.append(new_raw("# END QUESTION"))
    terminal = " ".join(f.name for t in tasks for f in t.files)
    cells.append(new_md("\n".join([
        "## The same checks from a terminal",
        "",
        "The file route of the course: one file per course file, graded by the same checks.",
        "",
        "```bash",
        "queuesim practice init practice      # the stubs, under the course's names",
        *(f"queuesim check {name} --path practice" for name in terminal.split()),
        *(["queuesim check 0"] if not terminal else []),
        "```",
        "",
        f"In this notebook, `check_cells({tasks[-1].number}, folder='practice')` (from `queuesim.practice.notebook`) "
        "writes your cells into `practice/` as the course's files and grades them: "
        f"`queuesim check {tasks[-1].number} --path practice` then gives the same verdict.",
    ])))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return _numbered(nb, "m")


def _numbered(nb: NotebookNode, prefix: str) -> NotebookNode:
    """Cell ids numbered in order, outputs and execution counts cleared: the same bytes on every run."""
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{prefix}{index:03d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def groups() -> dict[str, list[Task]]:
    """The tasks of each solution notebook, in course order."""
    found: dict[str, list[Task]] = {}
    for task in TASKS:
        found.setdefault(task.notebook, []).append(task)
    return found


def _write(nb: NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def assign(master_path: Path, out: Path, autograder: Path | None) -> None:
    """``otter assign`` the master into ``out/<name>.ipynb`` (and the autograder notebook into ``autograder``)."""
    from otter.assign import main as otter_assign  # otter-grader: the practice extra

    with tempfile.TemporaryDirectory(prefix="otter-assign-") as work:
        dist = Path(work) / "dist"
        with contextlib.redirect_stdout(io.StringIO()) as said:
            otter_assign(str(master_path), str(dist), no_pdfs=True)
        student = dist / "student" / master_path.name
        if not student.is_file():
            raise SystemExit(f"otter assign {master_path.name} wrote no student notebook:\n{said.getvalue()}")
        _write(_numbered(nbformat.read(student, as_version=4), "c"), out / master_path.name)
        if autograder is not None:
            graded = dist / "autograder" / master_path.name
            _write(_numbered(nbformat.read(graded, as_version=4), "a"), autograder / master_path.name)


def build(out: Path, autograder: Path | None = None, only: Iterable[str] | None = None) -> list[Path]:
    """Write the masters and the student notebooks into ``out``; the student notebooks' paths."""
    wanted = set(only) if only is not None else None
    written = []
    for notebook, tasks in groups().items():
        if wanted is not None and notebook not in wanted:
            continue
        master_path = out / "masters" / f"{notebook}.ipynb"
        _write(master(notebook, tasks), master_path)
        assign(master_path, out, autograder)
        written.append(out / f"{notebook}.ipynb")
    return written


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where the notebooks go (default: this folder)")
    parser.add_argument("--autograder", type=Path, help="also keep otter's autograder notebooks (solutions) here")
    parser.add_argument("notebooks", nargs="*", help="only these (e.g. task12_stock); default: all")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = build(args.out, args.autograder, args.notebooks or None)
    print(f"{len(written)} practice notebooks in {args.out} ({time.perf_counter() - started:.1f} s)")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
