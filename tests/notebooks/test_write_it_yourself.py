"""Each task notebook's "Write it yourself" section shows the practice stubs' own signatures.

The section is written by hand; this test keeps it equal to ``queuesim/practice/stubs`` so a
learner who copies a signature from the notebook writes what ``queuesim check`` grades.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from queuesim.practice import TASKS

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "queuesim" / "practice" / "stubs"
HEADING = "## Write it yourself"
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
COURSE_FILE = re.compile(r"`(\d+-[\w.-]+?)\.py`")
FILE_COMMENT = re.compile(r"^# (\d+-[\w.-]+?)\.py\b")


def section(notebook: Path) -> str:
    """The markdown cell that holds the notebook's "Write it yourself" section, or ''."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return next((t for t in texts if HEADING in t), "")


def shown_signatures(text: str, default_file: str | None) -> dict[tuple[str, str], str]:
    """``(course file, function) -> signature`` of every function the section's code blocks define.

    A ``# 9-stock.py`` comment line in a block says which file the functions after it belong to;
    without one they belong to ``default_file``.
    """
    found: dict[tuple[str, str], str] = {}
    for block in CODE_BLOCK.findall(text):
        owners: dict[int, str | None] = {}
        owner = default_file
        for number, line in enumerate(block.splitlines(), start=1):
            named = FILE_COMMENT.match(line)
            if named:
                owner = named.group(1)
            owners[number] = owner
        for node in ast.parse(block).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                file = owners[node.lineno]
                assert file is not None, f"which course file does {node.name} belong to?"
                found[(file, node.name)] = signature_of(node)
    return found


def signature_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """``async name(a, b, *, c)``: what a caller relies on (annotations and defaults left out)."""
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if args.vararg:
        names.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        names.append("*")
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append(f"**{args.kwarg.arg}")
    prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
    return f"{prefix}{node.name}({', '.join(names)})"


def stub_signatures(module: str) -> dict[str, str]:
    tree = ast.parse((STUBS / f"{module}.py").read_text(encoding="utf-8"))
    return {
        node.name: signature_of(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


NOTEBOOK_TASKS = sorted({task.notebook for task in TASKS if task.files})


@pytest.mark.parametrize("notebook", NOTEBOOK_TASKS)
def test_the_section_shows_the_stubs_signatures(notebook: str) -> None:
    text = section(ROOT / "notebooks" / f"{notebook}.ipynb")
    assert text, f"{notebook} has no '{HEADING}' section"
    files = {f.name: f for task in TASKS if task.notebook == notebook for f in task.files}
    named = [name for name in COURSE_FILE.findall(text) if name in files]
    shown = shown_signatures(text, named[0] if len(files) == 1 and named else None)
    assert shown, f"{notebook}'s '{HEADING}' section shows no function"
    unknown = sorted({file for file, _ in shown} - set(files))
    assert unknown == [], f"{notebook}'s section names files that are not its tasks': {unknown}"
    stubs = {(name, function): signature
             for name, file in files.items() for function, signature in stub_signatures(file.module).items()}
    mismatched = {key: (sig, stubs.get(key)) for key, sig in shown.items() if stubs.get(key) != sig}
    assert mismatched == {}, f"{notebook}: shown signature != stub's (shown, stub): {mismatched}"
