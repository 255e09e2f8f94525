"""Waiting for something another thread or process does: poll a predicate until a deadline."""

from __future__ import annotations

import time
from typing import Any


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """``predicate()``'s first truthy value, polled every 10 ms; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"{what} not met within {timeout} s")
