"""The committed notebooks: figures stored, every notebook framed (objectives, course task, predict-then-run), links whole.

nbval (in ``make test``) checks that every cell still prints what is committed; these
tests check what nbval cannot see: that a figure a cell draws is in the file (nbval
ignores image/png), that nothing was written to stderr, and that the path through
the notebooks holds together.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
OURS = PATHS
DRAWS = re.compile(r"\bplt\.show\(\)|\bplt\.subplots\(|\bplot_\w+\(|\.savefig\(")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def code_cells(path: Path) -> list[Any]:
    return [cell for cell in read(path).cells if cell.cell_type == "code"]


def is_widget_cell(cell: Any) -> bool:
    return "interact" in cell.source and "ipywidgets" in cell.source


def slug(heading: str) -> str:
    """The anchor Jupyter and MyST give a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s+", "-", text).strip("-")


def anchors(path: Path) -> set[str]:
    found = set()
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    found.add(slug(line.lstrip("#")))
    return found


def test_there_are_notebooks() -> None:
    assert len(OURS) >= 16


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_every_figure_a_cell_draws_is_committed(path: Path) -> None:
    drawing = [cell for cell in code_cells(path) if "plt.show()" in cell.source and not is_widget_cell(cell)]
    for cell in drawing:
        images = [o for o in cell.outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
        assert images, f"{path.name}: a cell calls plt.show() but holds no image/png:\n{cell.source[:200]}"
        for image in images:
            assert image.data["text/plain"].startswith("<Figure size "), image.data["text/plain"]
    if any(DRAWS.search(cell.source) for cell in code_cells(path) if not is_widget_cell(cell)):
        assert drawing, f"{path.name} draws with matplotlib but never shows a figure"


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_no_cell_wrote_to_stderr_or_failed(path: Path) -> None:
    for cell in code_cells(path):
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: an error output in\n{cell.source[:200]}"
            assert output.get("name") != "stderr", f"{path.name}: stderr {output.text[:300]!r}"


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_each_notebook_opens_with_objectives_and_its_course_task(path: Path) -> None:
    first = read(path).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")
    if path.name == "00_start_here.ipynb":
        assert "**What you will learn**" in first.source
        return
    assert "**Objectives.**" in first.source
    assert re.search(r"\*\*(Course tasks?\b[^*]*|Builds on)\*\*", first.source), "no course task named"


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_each_notebook_ends_with_predict_then_run(path: Path) -> None:
    # the last section (a line pointing to the next notebook may follow it)
    text = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    assert sections[-1].startswith("Predict, then run"), f"the last section is {sections[-1][:40]!r}"
    assert re.search(r"^1\. ", sections[-1], re.MULTILINE), "no numbered question"


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_widgets_keep_nbval_deterministic_and_the_book_clean(path: Path) -> None:
    for cell in code_cells(path):
        if is_widget_cell(cell):
            assert cell.source.startswith("# NBVAL_IGNORE_OUTPUT\n"), "a widget's output is a repr nbval cannot compare"
            assert "remove-output" in cell.metadata.get("tags", []), "the book shows the static figure, not a repr"


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_links_between_notebooks_and_to_the_book_resolve(path: Path) -> None:
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if re.match(r"^[a-z]+://", target) or target.startswith("#"):
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve()
            assert linked.is_file(), f"{path.name} links to {target}, which does not exist"
            if anchor and linked.suffix == ".ipynb":
                assert anchor in anchors(linked), f"{path.name} links to {target}: no heading has that anchor"


def test_the_race_and_capacity_notebooks_offer_a_what_if() -> None:
    for name in ("sim1_race_in_virtual_time.ipynb", "sim3_capacity_planning.ipynb"):
        assert any(is_widget_cell(cell) for cell in code_cells(NOTEBOOKS / name)), name


def test_slug() -> None:
    assert slug(" Leases: a claimed job is held, not owned") == "leases-a-claimed-job-is-held-not-owned"
    assert slug(" How often do 95% intervals cover the truth?") == "how-often-do-95-intervals-cover-the-truth"
    assert slug(" Counters: INCR and DECR") == "counters-incr-and-decr"
