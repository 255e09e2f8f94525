"""``queuesim demo`` (the main job of ``make run``): runs, prints the tables, writes plots and a report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queuesim.cli import main


def test_quick_demo_writes_report_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "## Race: a flash sale" in out
    assert "## Queue: mean wait in queue" in out
    assert "| on |" in out
    assert "| off |" in out
    for name in ("race.png", "queue.png", "crash.png", "report.md"):
        assert (tmp_path / name).stat().st_size > 1000
    report = (tmp_path / "report.md").read_text()
    for figure in ("race.png", "queue.png", "crash.png"):  # every figure is in the report
        assert re.search(rf"^!\[[^\]]+\]\({figure}\)$", report, re.MULTILINE), figure
    # each scenario says what ran, and what its columns mean
    assert "60 buyers arrive at random (a Poisson stream) to buy one unit each of 15 units on sale" in report
    assert "*invariant held*: in how many of the sales" in report
    assert "`0/2` means every sale broke it" in report
    assert "cannot exceed 45 (= 60 buyers − 15 units: every buyer confirmed)" in report
    assert "2 replications of 300 jobs each, the first 75 of each left out" in report
    assert "60 jobs queued at time 0; 3 workers of 2 slots each" in report
    assert "*lost*: jobs left `active`, held by a dead worker" in report
    # the verdict is the interval, nothing looser
    queue_rows = [line for line in report.splitlines() if re.match(r"^\| [12] \| 0\.[58]0 \|", line)]
    assert len(queue_rows) == 4
    assert all(row.split("|")[5].strip() in ("yes", "no") for row in queue_rows)
    assert "theory in the CI?" in out
    assert "![" not in out  # the command prints the tables, not the image links
    # the safe strategies never oversell, whatever the load
    for line in out.splitlines():
        if line.startswith(("| watch |", "| atomic |")):
            assert line.split("|")[5].strip() == "0.0"


def test_an_out_folder_that_cannot_be_made_is_refused_before_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["demo", "--quick", "--no-progress", "--out", str(blocker / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"queuesim demo: cannot write to --out {blocker / 'out'}: ")
    assert captured.out == ""  # nothing ran
