"""``queuesim race-check``: the issue's contract (exit 0/1/2, --json) and clear errors for bad input."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from queuesim.cli import main

NAIVE = "queuesim.race.examples.stock:reserve_naive"
WATCH = "queuesim.race.examples.stock:reserve_watch"
CHECKS = ["--setup", "setup", "--invariant", "check"]

USER_CODE = '''
import redis

def setup(r):
    r.set("stock", 2)

def reserve(r, i):
    left = int(r.get("stock"))
    if left < 1:
        return False
    r.set("stock", left - 1)
    return True

def check(r, results):
    left = int(r.get("stock"))
    return sum(x is True for x in results) + left == 2 or "lost update"

def loops(r, i):
    while True:
        r.incr("n")

def unknown(r, i):
    r.execute_command("FROBNICATE", "stock")

def raises(r, i):
    raise RuntimeError("boom")

def one_argument(r):
    return None

def check_numbers(r, results):
    return sum(results) == 0

NOT_A_FUNCTION = 3
'''


@pytest.fixture
def user_file(tmp_path: Path) -> str:
    path = tmp_path / "my_stock.py"
    path.write_text(USER_CODE)
    return str(path)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["race-check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_violation_exits_1_with_seed_replay_and_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([NAIVE, *CHECKS], capsys)
    assert code == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"race-check {NAIVE}: 10 clients arriving all at once, RTT 1 ms, up to 100 schedules")
    assert lines[1].startswith("VIOLATION in schedule 1 (seed 1, ")
    assert lines[2] == f"replay it: queuesim race-check {NAIVE} --setup setup --invariant check --seed 1 --schedules 1"
    assert "minimised counterexample: 2 clients, 4 commands, 1 preemption" in out
    assert "GET item.1 → '4'" in out
    assert "violation: 2 taken + 3 left = 5, not 4" in out


def test_no_violation_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([WATCH, *CHECKS, "--schedules", "30"], capsys)
    assert code == 0
    assert out.splitlines()[-1] == ("no violation in 30 schedules of 10 clients "
                                    "(invariant checked only at the end, once every client had ended)")


DIP_BELOW_ZERO = """
def setup(r):
    r.set("stock", 1)

def take(r, i):  # DECR, and give the unit back if there was none: the count dips below 0 in between
    if r.decr("stock") < 0:
        r.incr("stock")
        return False
    return True

def never_negative(r, results):
    return int(r.get("stock")) >= 0 or "stock below 0"
"""


def test_the_verdict_says_when_the_invariant_was_checked(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dip.py"
    path.write_text(DIP_BELOW_ZERO)
    argv = [f"{path}:take", "--setup", "setup", "--invariant", "never_negative", "--clients", "3",
            "--schedules", "20"]
    code, out, _ = _run(argv, capsys)
    assert code == 0  # at the end the stock is back at 0: checked only then, the dip goes unseen
    assert out.splitlines()[-1] == ("no violation in 20 schedules of 3 clients "
                                    "(invariant checked only at the end, once every client had ended)")
    code, out, _ = _run([*argv, "--check-every-command"], capsys)
    assert code == 1
    verdict = out.splitlines()[1]
    assert "; invariant checked after every command and at the end): stock below 0 (after command " in verdict


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([NAIVE, *CHECKS, "--json", "--clients", "5", "--seed", "3"], capsys)
    data = json.loads(out)
    assert code == 1
    assert data["violation"] is True
    assert data["schedules"] >= 1
    assert isinstance(data["seed"], int)
    assert data["clients"] == 5
    assert data["scheduler"] == "mixed"
    counterexample = data["counterexample"]
    assert len(counterexample["clients"]) == 2
    assert all({"client", "t", "command", "reply"} <= set(entry) for entry in counterexample["trace"])
    code, out, _ = _run([WATCH, *CHECKS, "--json", "--schedules", "5"], capsys)
    assert code == 0
    assert json.loads(out) == {
        "violation": False, "schedules": 5, "seed": None, "scheduler": "mixed", "clients": 10, "message": None,
        "schedule": None, "counterexample": None, "unstable": None, "raised": None,
    }


def test_the_printed_replay_command_replays_the_violation(capsys: pytest.CaptureFixture[str]) -> None:
    options = [NAIVE, *CHECKS, "--arrival-rate", "2000", "--rtt-ms", "0.5", "--scheduler", "random", "--seed", "21"]
    code, out, _ = _run(options, capsys)
    assert code == 1
    replay = next(line for line in out.splitlines() if line.startswith("replay it: "))[len("replay it: "):]
    words = shlex.split(replay)
    assert words[:2] == ["queuesim", "race-check"]
    assert "--arrival-rate" in words
    assert "--rtt-ms" in words
    _, first, _ = _run([*options, "--json"], capsys)
    code, again, _ = _run([*words[2:], "--json"], capsys)
    first_data, again_data = json.loads(first), json.loads(again)
    assert code == 1
    assert again_data["schedules"] == 1
    assert again_data["seed"] == first_data["seed"]
    assert again_data["message"] == first_data["message"]
    assert again_data["counterexample"] == first_data["counterexample"]


def test_a_file_target_with_bare_setup_and_check(user_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([f"{user_file}:reserve", *CHECKS, "--clients", "3", "--json"], capsys)
    assert code == 1
    assert json.loads(out)["message"] == "lost update"


def test_plot_writes_the_swimlanes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "race.png"
    code, out, _ = _run([NAIVE, *CHECKS, "--plot", str(path)], capsys)
    assert code == 1
    assert f"swimlanes: {path}" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["no.such.module:f", *CHECKS], "no module named 'no.such.module'"),
    (["missing/file.py:f", *CHECKS], "no such file: missing/file.py"),
    (["queuesim.race.examples.stock:nope", *CHECKS], "queuesim.race.examples.stock has no 'nope'"),
    (["queuesim.race.examples.stock:KEY", *CHECKS], "queuesim.race.examples.stock:KEY is a str, not a function"),
    (["reserve_naive", *CHECKS], "'reserve_naive' is not MODULE:FUNCTION"),
    ([NAIVE, "--setup", "setup", "--invariant", "nope"], "has no 'nope'"),
])
def test_targets_that_cannot_be_loaded(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("queuesim race-check: ")
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("function", "options", "message"), [
    ("NOT_A_FUNCTION", [], "is an int, not a function"),
    ("one_argument", [], r"target one_argument must take (r, i)"),
    ("loops", ["--max-commands", "40", "--seed", "12", "--scheduler", "random"],
     "schedule seed 12: the clients sent more than 40 commands without ending (client 6 was sending INCRBY n 1)"),
    ("loops", ["--max-commands", "40", "--seed", "12", "--scheduler", "pct"],
     "schedule seed 12, measuring PCT's k with the clients one after the other: the clients sent more than 40 "
     "commands without ending (client 0 was sending INCRBY n 1)"),
    ("unknown", ["--seed", "5", "--scheduler", "random"],
     "client 1 sent FROBNICATE stock: a command the simulated store (fast) does not have (schedule seed 5)"),
])
def test_targets_that_cannot_run(user_file: str, function: str, options: list[str], message: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([f"{user_file}:{function}", *CHECKS, *options], capsys)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.splitlines()) == 1


def test_a_target_that_raises_reaches_the_check_which_names_it(user_file: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([f"{user_file}:raises", "--setup", "setup", "--invariant", "check_numbers", "--clients", "2"],
                        capsys)
    assert code == 2
    assert "the invariant check_numbers raised TypeError" in err
    assert "schedule seed 1" in err
    assert "client 0 raised RuntimeError: boom before any command" in err


def test_a_file_that_fails_to_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def reserve(r, i):\n    return (\n")
    code, _, err = _run([f"{broken}:reserve", *CHECKS], capsys)
    assert code == 2
    assert f"importing {broken} raised SyntaxError" in err


@pytest.mark.parametrize("argv", [
    [NAIVE, *CHECKS, "--clients", "0"],
    [NAIVE, *CHECKS, "--seed", str(2**32)],
    [NAIVE, *CHECKS, "--rtt-ms", "-1"],
    [NAIVE, *CHECKS, "--stall-seconds", "0"],
    [NAIVE, *CHECKS, "--schedules", "many"],
    [NAIVE, "--invariant", "check"],
    [NAIVE],
])
def test_usage_errors_exit_2_in_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["race-check", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("queuesim race-check: ")
    assert err.endswith("(queuesim race-check -h for help)\n")
    assert len(err.splitlines()) == 1, err


def test_a_missing_setup_or_invariant_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["race-check", NAIVE])
    assert "the following arguments are required: --setup, --invariant" in capsys.readouterr().err


def test_from_a_shell_no_traceback(user_file: str) -> None:
    def shell(*argv: str) -> Any:
        return subprocess.run([sys.executable, "-m", "queuesim", "race-check", *argv], capture_output=True, text=True,
                              timeout=120)

    loops = shell(f"{user_file}:loops", *CHECKS, "--max-commands", "30")
    assert loops.returncode == 2
    assert "Traceback" not in loops.stderr
    assert "more than 30 commands" in loops.stderr
    found = shell(f"{user_file}:reserve", *CHECKS, "--clients", "2", "--json")
    assert found.returncode == 1
    assert json.loads(found.stdout)["violation"] is True


@pytest.mark.timeout(60, method="thread")
def test_a_target_looping_without_commands_is_stopped_by_the_stall_limit(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # a bare except hides the error raised before any command: the command budget never sees it
    path = tmp_path / "hidden.py"
    path.write_text(USER_CODE + """
def hidden(r, i):
    while True:
        try:
            r.get("stock")
            int("four")
        except:
            pass
        while True:
            try:
                return int("four")
            except:
                continue
""")
    code, out, err = _run([f"{path}:hidden", *CHECKS, "--stall-seconds", "0.2", "--clients", "1"],
                          capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("queuesim race-check: client 0 ran for more than 0.2 s without sending "
                          "a command (schedule seed 1, measuring PCT's k with the clients one after the other) after "
                          "GET stock: a loop that sends nothing")
    assert len(err.splitlines()) == 1


def test_clients_that_raise_are_never_silent(user_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    # the invariant ignores results, so it holds; the exceptions are still reported, with client, command and seed
    code, out, err = _run([f"{user_file}:raises", "--setup", "setup", "--invariant", "check", "--clients", "2",
                           "--schedules", "3", "--json"], capsys)
    assert code == 0
    raised = json.loads(out)["raised"]
    assert raised == {"schedules": 3, "seed": 1, "client": 0,
                      "error": "client 0 raised RuntimeError: boom before any command"}
    assert err == ("queuesim race-check: note: clients raised in 3 of 3 schedules (their exceptions were their "
                   "results); the first: client 0 raised RuntimeError: boom before any command (schedule seed 1)\n")


def test_a_module_in_the_current_folder_is_found_as_python_m_finds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # the installed `queuesim` script has its own folder first on sys.path, not the current one as `python -m` has
    (tmp_path / "learner_stock_module.py").write_text(USER_CODE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    code, out, err = _run(["learner_stock_module:reserve", *CHECKS, "--clients", "2", "--json"], capsys)
    assert (code, err) == (1, "")
    assert json.loads(out)["message"] == "lost update"
    assert str(tmp_path) not in sys.path  # only while importing
    sys.modules.pop("learner_stock_module", None)
