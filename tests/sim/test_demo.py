"""``queuesim demo`` (the main job of ``make run``): runs, prints the tables, writes plots and a report."""

from __future__ import annotations

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
    for name in ("race.png", "queue.png", "report.md"):
        assert (tmp_path / name).stat().st_size > 1000
    report = (tmp_path / "report.md").read_text()
    assert "![race](race.png)" in report
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
