"""The path table: every notebook is listed, in the one table kept in notebooks/README.md and copied in README.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAME = re.compile(r"^(00_start_here|task\d\d(-\d\d)?_[a-z0-9_]+|sim\d_[a-z0-9_]+)\.ipynb$")


def table(markdown: str) -> str:
    """The path table of a Markdown text: the block of lines from its header row on."""
    start = markdown.index("| notebook | course task |")
    return markdown[start:].split("\n\n", 1)[0]


def notebooks() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_follows_the_naming_scheme() -> None:
    assert notebooks(), "no notebooks found"
    assert [name for name in notebooks() if not NAME.match(name)] == []


def test_every_notebook_is_in_the_path_table_once() -> None:
    rows = table((NOTEBOOKS / "README.md").read_text(encoding="utf-8")).splitlines()[2:]
    for name in notebooks():
        stem = name.removesuffix(".ipynb")
        # a link, or (for a notebook another stream adds before its row becomes a link) its name in backticks
        first = rf"^\| (\[{re.escape(stem)}\]\({re.escape(name)}\)|`{re.escape(stem)}`[^|]*) \|"
        listed = [row for row in rows if re.match(first, row)]
        assert len(listed) == 1, f"{name} is not in exactly one row of notebooks/README.md's path table"


def test_every_notebook_linked_from_the_table_exists() -> None:
    linked = re.findall(r"\]\(([^)]+\.ipynb)\)", table((NOTEBOOKS / "README.md").read_text(encoding="utf-8")))
    assert linked
    assert [name for name in linked if not (NOTEBOOKS / name).is_file()] == []


def test_the_readme_carries_the_same_table() -> None:
    ours = table((NOTEBOOKS / "README.md").read_text(encoding="utf-8"))
    theirs = table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert theirs == ours.replace("](", "](notebooks/"), "README.md's path table differs from notebooks/README.md's"
