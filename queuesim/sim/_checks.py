"""Argument checks shared by the simulation modules: clear ValueErrors naming the argument."""

from __future__ import annotations

import math

__all__ = ["check_count", "check_non_negative", "check_positive"]


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def check_positive(value: float, name: str) -> float:
    """``value`` as a float if it is a finite number > 0, else ValueError."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_non_negative(value: float, name: str) -> float:
    """``value`` as a float if it is a finite number ≥ 0, else ValueError."""
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
    return float(value)


def check_count(value: int, name: str, minimum: int = 0) -> int:
    """``value`` if it is an int ≥ ``minimum``, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int ≥ {minimum}, got {value!r}")
    return value
