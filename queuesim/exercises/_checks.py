"""Argument checks shared by the exercises: fail before any command is sent."""

from __future__ import annotations

from typing import Any

__all__ = ["check_key", "check_value"]


def check_key(what: str, key: Any) -> str:
    """``key`` if it is a non-empty string.

    Raises:
        TypeError: ``key`` is not a string.
        ValueError: ``key`` is empty.
    """
    if not isinstance(key, str):
        raise TypeError(f"{what} must be a string, not {type(key).__name__}")
    if not key:
        raise ValueError(f"{what} must not be empty")
    return key


def check_value(what: str, value: Any) -> str | int:
    """``value`` if it is a string or an integer (``bool`` is not accepted).

    Raises:
        TypeError: ``value`` is of another type.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{what} must be a string or an integer, not {type(value).__name__}")
    return value
