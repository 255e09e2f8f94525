"""``queuesim simulate queue``: usage errors come before the run; an unstable system is flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queuesim.cli import main

#: a small stable M/M/1 run
QUEUE = ["simulate", "queue", "--arrival-rate", "0.5", "--service-rate", "1", "--jobs", "200", "--warmup", "20",
         "--replications", "2", "--no-progress"]


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``, expect an argparse usage error (exit 2, nothing on stdout); return its error line."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was simulated
    return captured.err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        ("out.txt", "argument --plot: format 'txt' of '{tmp}/out.txt' is not supported; use one of"),
        ("missing/x.png", "argument --plot: directory '{tmp}/missing' of '{tmp}/missing/x.png' does not exist"),
        ("", "argument --plot: '{tmp}' is a directory, not a file"),
    ],
)
def test_a_bad_plot_file_is_a_usage_error_before_the_run(
    plot: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"{tmp_path}/{plot}" if plot else str(tmp_path)
    line = _usage_error([*QUEUE, "--plot", target], capsys)
    assert line.startswith("queuesim simulate queue: error: ")
    assert message.format(tmp=tmp_path) in line
    assert list(tmp_path.iterdir()) == []  # the check left nothing behind


def test_an_unwritable_plot_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # /proc refuses new files even to root, where file modes would not
    line = _usage_error([*QUEUE, "--plot", "/proc/waits.png"], capsys)
    assert "argument --plot: cannot write '/proc/waits.png'" in line


@pytest.mark.parametrize(("name", "written", "magic"), [("waits.svg", "waits.svg", b"<?xml"),
                                                         ("waits", "waits.png", b"\x89PNG")])
def test_the_plot_is_written(name: str, written: str, magic: bytes, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*QUEUE, "--plot", str(tmp_path / name)]) == 0
    assert "| mean wait in queue (Wq) |" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [written]
    assert (tmp_path / written).read_bytes().startswith(magic)


def test_a_plot_that_fails_after_the_run_keeps_the_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from matplotlib.figure import Figure

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    assert main([*QUEUE, "--json", "--plot", str(tmp_path / "waits.png")]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["scenario"] == "queue"  # the results were printed first
    assert "could not write the plot" in captured.err
    assert "No space left on device" in captured.err


@pytest.mark.parametrize("service", ["exp", "det"])
def test_service_cv_needs_a_lognormal_service(service: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error([*QUEUE, "--service", service, "--service-cv", "2"], capsys)
    assert f"argument --service-cv: only a lognormal service time has one (--service {service}" in line


def test_service_cv_with_a_lognormal_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*QUEUE, "--service", "lognormal", "--service-cv", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["service_cv"] == 2.0
    assert out["theory"]["model"].startswith("M/G/1")


def test_an_unstable_system_is_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "queue", "--arrival-rate", "2", "--service-rate", "1", "--jobs", "200", "--warmup", "20",
            "--replications", "2", "--no-progress"]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["stable"], out["rho"], out["theory"]) == (False, 2.0, None)
    assert "warning: unstable system: ρ = λ/(c·μ) = 2/(1·1) = 2 ≥ 1" in captured.err
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "theory: none (unstable: ρ ≥ 1)" in captured.out
    assert "queue grows without bound" in captured.err


@pytest.mark.parametrize(
    "extra",
    [["--arrival-rate", "0.5"],  # ρ = 0.5
     ["--arrival-rate", "3", "--workers", "2", "--capacity", "4"]],  # ρ = 1.5, but the system is bounded
)
def test_a_stable_system_is_not_flagged(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*QUEUE, *extra, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stable"] is True
    assert "unstable" not in captured.err
