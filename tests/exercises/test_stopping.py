"""Signals stop the long-running commands by marking a flag, or by raising (see queuesim.exercises.stopping)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from queuesim.exercises.stopping import Terminated, sigterm_raises, stop_on_signals


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_marks_the_flag_and_names_the_exit_code(signum: int, code: int) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with stop_on_signals() as stopping:
        assert not stopping.is_set()
        assert stopping.exit_code == 0
        os.kill(os.getpid(), signum)  # Python runs the handler before the next line
        assert stopping.is_set()
        assert stopping.signum == signum
        os.kill(os.getpid(), signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM)
        assert stopping.signum == signum  # the first signal is the one reported
    assert stopping.exit_code == code
    assert {s: signal.getsignal(s) for s in before} == before  # handlers given back


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen: list[object] = []

    def other() -> None:
        with stop_on_signals() as stopping:
            seen.append(signal.getsignal(signal.SIGINT))
            seen.append(stopping.exit_code)

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [before, 0]


def test_sigterm_raises_terminated_while_active() -> None:
    with pytest.raises(Terminated, match="SIGTERM"), sigterm_raises():
        os.kill(os.getpid(), signal.SIGTERM)
