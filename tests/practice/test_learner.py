"""Running learner code: its lines from any thread, a time limit, errors in one line naming the file and line."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from queuesim.practice.learner import LearnerError, call, capture, describe_error
from queuesim.practice.loader import load_path


def test_call_keeps_the_lines_printed_from_any_thread() -> None:
    def noisy() -> int:
        print("here")
        thread = threading.Thread(target=lambda: print("and there"))
        thread.start()
        thread.join()
        return 7

    outcome = call(noisy)
    assert (outcome.value, outcome.lines) == (7, ["here", "and there"])


def test_call_gives_up_on_code_that_never_returns() -> None:
    stop = threading.Event()
    try:
        with pytest.raises(LearnerError, match=r"wait did not return within 0.2 s \(does it wait forever\?\)"):
            call(stop.wait, time_limit=0.2)
    finally:
        stop.set()


def test_errors_name_the_learners_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "9-stock.py"
    path.write_text("def reserve(client):\n    return client['x']\n", encoding="utf-8")
    module = load_path(path)
    with pytest.raises(LearnerError) as caught:
        call(module.reserve, {}, files=[path])
    assert str(caught.value) == "reserve raised KeyError: 'x' in 9-stock.py, line 2"
    assert isinstance(caught.value.error, KeyError)


def test_a_stub_reads_not_written_yet(tmp_path: Path) -> None:
    path = tmp_path / "1-redis_op.py"
    path.write_text('def main(client):\n    raise NotImplementedError("write main")\n', encoding="utf-8")
    module = load_path(path)
    with pytest.raises(LearnerError) as caught:
        call(module.main, None, files=[path])
    assert str(caught.value) == "main is not written yet: it still raises NotImplementedError in 1-redis_op.py, line 2"


def test_exiting_the_program_is_refused() -> None:
    def leave() -> None:
        raise SystemExit(0)

    with pytest.raises(LearnerError, match="stopped the program \\(SystemExit\\); a function must return"):
        call(leave)


def test_lines_printed_before_an_error_are_kept() -> None:
    def half() -> None:
        print("first")
        raise ValueError("then this")

    with pytest.raises(LearnerError) as caught:
        call(half)
    assert caught.value.lines == ["first"]


def test_capture_waits_for_a_line() -> None:
    with capture() as output:
        threading.Timer(0.01, lambda: print("late")).start()
        assert output.wait_for(lambda lines: "late" in lines, 5.0)
    assert output.lines == ["late"]


def test_describe_error_without_files() -> None:
    assert describe_error(RuntimeError()) == "raised RuntimeError"
