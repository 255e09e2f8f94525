"""Sub-commands for the exercises: ``queuesim exercise``, ``seed`` and ``tour``."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the exercise sub-commands to ``sub`` (an argparse sub-parsers object)."""
    p = sub.add_parser("exercise", help="run one exercise of the course")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=_not_yet)
    t = sub.add_parser("tour", help="run exercises 1-5 in order")
    t.set_defaults(func=_not_yet)


def _not_yet(args: argparse.Namespace) -> int:
    print("not implemented yet")
    return 1
