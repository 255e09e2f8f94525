"""SIGINT/SIGTERM for the code that stops on them: workers and long-running commands.

:func:`catch_stop_signals` installs process handlers (the thread worker, the
subscriber and store commands). A handler may run while the main thread it
interrupted holds any lock, so the callbacks given to it must take none.

:func:`handle_stop_signals` is the asyncio twin, shared by every AsyncWorker
running on one event loop. ``loop.add_signal_handler`` keeps one handler per signal, so a second worker's
would replace the first's, and the first to finish would take both away. Here the
loop gets one handler per signal while any worker runs; it tells every running
worker; when the last one finishes, the handlers that were there before come back.

A signal somebody else already handles (a web server such as uvicorn, the
application) is left to them: workers take over a signal only while its handler is
Python's default or the one ``asyncio.run`` installs for Ctrl-C.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["catch_stop_signals", "handle_stop_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def catch_stop_signals(on_signal: Callable[[int], None]) -> Callable[[], None]:
    """Call ``on_signal(signum)`` on SIGINT/SIGTERM instead of their handlers until the returned undo.

    Only the main thread may set handlers; elsewhere it does nothing. ``on_signal``
    runs inside the signal handler: it must take no lock (write an attribute, put
    on a ``queue.SimpleQueue``).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        on_signal(signum)

    previous = {s: signal.signal(s, handler) for s in _SIGNALS}

    def undo() -> None:
        for s, before in previous.items():
            signal.signal(s, before)

    return undo


class _LoopSignals:
    """The workers a loop's handlers tell, and the handlers to give back after the last one."""

    __slots__ = ("previous", "workers")

    def __init__(self) -> None:
        self.workers: list[Callable[[int], None]] = []
        self.previous: dict[signal.Signals, Any] = {}


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSignals] = weakref.WeakKeyDictionary()


def _free(handler: Any) -> bool:
    """Whether ``handler`` is nobody's in particular: Python's default, or ``asyncio.run``'s for Ctrl-C."""
    if handler in (None, signal.SIG_DFL, signal.default_int_handler):
        return True
    runner = getattr(asyncio, "Runner", None)
    return (
        isinstance(handler, functools.partial)
        and runner is not None
        and isinstance(getattr(handler.func, "__self__", None), runner)
    )


def _deliver(loop: asyncio.AbstractEventLoop, signum: int) -> None:
    state = _BY_LOOP.get(loop)
    for on_signal in list(state.workers if state is not None else ()):
        on_signal(signum)


def handle_stop_signals(on_signal: Callable[[int], None]) -> Callable[[], None]:
    """Call ``on_signal(signum)`` on SIGINT/SIGTERM while the running loop's worker runs; returns the undo.

    Only in the main thread (where the loop can have signal handlers); elsewhere
    it does nothing.
    """
    loop = asyncio.get_running_loop()
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    state = _BY_LOOP.get(loop)
    if state is None:
        state = _BY_LOOP[loop] = _LoopSignals()
        for s in _SIGNALS:
            before = signal.getsignal(s)
            if not _free(before):
                continue  # somebody else's: they decide what a signal does
            try:
                loop.add_signal_handler(s, _deliver, loop, s)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or a loop that cannot
                continue
            state.previous[s] = signal.SIG_DFL if before is None else before
    state.workers.append(on_signal)

    def undo() -> None:
        state.workers.remove(on_signal)
        if state.workers or _BY_LOOP.get(loop) is not state:
            return
        del _BY_LOOP[loop]
        for s, before in state.previous.items():
            loop.remove_signal_handler(s)
            signal.signal(s, before)

    return undo
