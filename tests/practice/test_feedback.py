"""Hints: every concept a check names exists and is used; each points at a page by the agreed names."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from queuesim.practice.feedback import CONCEPTS, concept

from .conftest import concept_of, wrong_solutions

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "queuesim" / "practice"
KEY = re.compile(r"^[a-z]+(-[a-z]+)+$|^(await|strings|publish|blacklist|concurrency|loads|seed)$")


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def used_keys() -> set[str]:
    """Every string in the checks that looks like a concept key."""
    found: set[str] = set()
    for path in [*PACKAGE.glob("checks/*.py"), *(PACKAGE / n for n in ("races.py", "grading.py", "checking.py"))]:
        found |= {s for s in _string_constants(path) if KEY.match(s)}
    return found


#: Strings of that shape in the checks that are not hints (a thread's name).
NOT_CONCEPTS = {"practice-close"}


def test_every_key_the_checks_name_is_a_concept() -> None:
    assert sorted(used_keys() - NOT_CONCEPTS - set(CONCEPTS)) == []


def test_every_concept_is_used_by_a_check_or_the_catalogue() -> None:
    used = used_keys() | {w.concept for w in wrong_solutions()}
    assert sorted(set(CONCEPTS) - used) == []


def test_every_wrong_solution_names_a_concept() -> None:
    for wrong in wrong_solutions():
        assert concept_of(wrong.path) in CONCEPTS, wrong.id


def test_an_unknown_concept_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no concept named 'nope'"):
        concept("nope")


def test_pointers_use_the_agreed_page_names() -> None:
    scheme = re.compile(
        r"^(notebooks/(task\d\d(-\d\d)?_[a-z0-9_]+|sim\d_[a-z_]+|00_start_here)\.ipynb|docs/[a-z_]+\.md)$"
    )
    assert [c.key for c in CONCEPTS.values() if not scheme.match(c.page)] == []


def _headings(path: Path) -> set[str]:
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
    else:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")}


def test_each_pointer_names_a_section_of_its_page() -> None:
    missing_pages = sorted({c.page for c in CONCEPTS.values() if not (ROOT / c.page).exists()})
    if missing_pages == sorted({c.page for c in CONCEPTS.values() if c.page.startswith("notebooks/")}):
        # the notebooks are renamed to taskNN_<name> by the notebooks stream; until then only the book is here
        pages = {c.page for c in CONCEPTS.values() if c.page.startswith("docs/")}
    else:
        assert missing_pages == []
        pages = {c.page for c in CONCEPTS.values()}
    for page in sorted(pages):
        headings = _headings(ROOT / page)
        wanted = {c.section for c in CONCEPTS.values() if c.page == page}
        assert sorted(wanted - headings) == [], page
