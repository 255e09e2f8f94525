"""Sub-commands ``queuesim practice`` (``init``, ``list``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from queuesim.practice.catalogue import TASKS
from queuesim.practice.templates import FilesExist, init

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``practice`` to ``sub`` (an argparse sub-parsers object)."""
    practice = sub.add_parser(
        "practice",
        help="write the course's files yourself: stubs to fill in, checked by `queuesim check`",
        description="Practice the course: `queuesim practice init DIR` writes one stub per course file; "
        "fill them in, then `queuesim check TASK --path DIR`.",
    )
    actions = practice.add_subparsers(dest="action", metavar="ACTION")
    start = actions.add_parser("init", help="write one stub per course file into DIR")
    start.add_argument("dir", type=Path, metavar="DIR", help="the folder to write into (made if missing)")
    start.add_argument("--force", action="store_true", help="replace practice files already there (losing them)")
    start.set_defaults(func=_init)
    listing = actions.add_parser("list", help="list the tasks, their files and notebooks")
    listing.set_defaults(func=_list)
    practice.set_defaults(func=_practice_help(practice))


def _practice_help(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return show


def _init(args: argparse.Namespace) -> int:
    try:
        written = init(args.dir, force=args.force)
    except FilesExist as exists:
        print(f"queuesim practice init: {exists}", file=sys.stderr)
        return 1
    except (NotADirectoryError, OSError) as error:
        print(f"queuesim practice init: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {len(written.files)} files into {written.folder}:")
    print("  " + " ".join(path.name for path in written.files))
    print(f"Fill them in task by task, then: queuesim check 1 --path {written.folder}")
    print(f"(`queuesim check --all --path {written.folder}` checks everything; "
          "`queuesim practice list` lists the tasks)")
    return 0


def _list(args: argparse.Namespace) -> int:
    for task in TASKS:
        files = ", ".join(f.filename for f in task.files) or "(no file: a Redis server and its data)"
        print(f"{task.number:>2}  {task.title:<36} {files}")
        print(f"    notebooks/{task.notebook}.ipynb")
    return 0
