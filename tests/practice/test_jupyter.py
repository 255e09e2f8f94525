"""From Jupyter: ``check`` works where an event loop already runs, and in a real kernel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from queuesim.practice import check


def test_check_inside_a_running_event_loop(stubs: Path) -> None:
    async def in_a_notebook() -> tuple[bool, bool]:
        return check(3, solution=True).passed, check(12, solution=True).passed

    assert asyncio.run(in_a_notebook()) == (True, True)


@pytest.mark.slow
def test_check_in_a_kernel_shows_the_report(stubs: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from queuesim.practice import check"),
        nbformat.v4.new_code_cell(f"check('2-redis_op_async', path={str(stubs)!r})"),
        nbformat.v4.new_code_cell("check(2, solution=True)"),
    ]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    shown = ["".join(o.get("data", {}).get("text/plain", "")) for o in notebook.cells[1].outputs]
    assert any("FAIL  set_new_school sets the key" in text and "not written yet" in text for text in shown)
    solved = "".join(o.get("data", {}).get("text/plain", "") for o in notebook.cells[2].outputs)
    assert "4 of 4 checks passed: all passed" in solved
