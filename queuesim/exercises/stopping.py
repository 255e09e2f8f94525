"""Stop long-running commands cleanly: SIGTERM is handled like Ctrl-C.

Python turns SIGINT (Ctrl-C) into ``KeyboardInterrupt``; with
:func:`sigterm_raises` SIGTERM raises :class:`Terminated` (a
``KeyboardInterrupt``), so the same ``try``/``finally`` blocks unsubscribe and
close connections whichever signal stops the process. Commands that only end
on a signal (the subscriber, the store server) use :func:`stop_on_signals`
instead: the signal marks a flag their loop polls, so nothing is interrupted
halfway.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from queuesim.queue.signals import catch_stop_signals

__all__ = ["SignalStop", "Terminated", "sigterm_raises", "stop_on_signals"]


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"received signal {signal.Signals(signum).name}")


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` in the main thread.

    Outside the main thread (where Python cannot install handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class SignalStop:
    """What :func:`stop_on_signals` hands out: whether SIGINT or SIGTERM came, and which came first.

    Its :meth:`is_set` reads a plain attribute the signal handler writes, so
    neither side takes a lock (a ``threading.Event`` would: a second signal
    arriving while the first handler sets it deadlocks on the Event's own lock).
    """

    __slots__ = ("signum",)

    def __init__(self) -> None:
        #: The first signal received, or None.
        self.signum: int | None = None

    def is_set(self) -> bool:
        """Whether a signal asked the command to stop (a loop polls this)."""
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """0 when no signal came, else 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM)."""
        return 0 if self.signum is None else 128 + self.signum


@contextmanager
def stop_on_signals() -> Iterator[SignalStop]:
    """While active, SIGINT and SIGTERM mark ``stop`` instead of raising in the main thread.

    For commands that wait for a signal to end (a subscriber, a server): nothing is
    interrupted halfway (an exception raised at an arbitrary point can leave a
    library's lock held, and the process hangs or crashes on its way out); the
    command's loop polls ``stop.is_set()``, leaves, and closes what it opened. The
    handler only writes an attribute, so signals may come in any number, nested.
    Outside the main thread it installs nothing.
    """
    stop = SignalStop()

    def on_signal(signum: int) -> None:
        if stop.signum is None:
            stop.signum = signum

    undo = catch_stop_signals(on_signal)
    try:
        yield stop
    finally:
        undo()
