"""Sub-commands ``queuesim practice`` (``init``, ``list``) and ``queuesim check``.

``check`` exits 0 only when every check of every task asked for passed, 1
otherwise, 2 on a usage error (an unknown task, a folder that is not there).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from queuesim.practice.catalogue import TASKS, UnknownTask, find_task
from queuesim.practice.checking import check, check_all
from queuesim.practice.report import TaskReport
from queuesim.practice.templates import FilesExist, init

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``practice`` and ``check`` to ``sub`` (an argparse sub-parsers object)."""
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

    grade = sub.add_parser(
        "check",
        help="check your practice files (or queuesim's own solution) task by task",
        description="Check one task (by number, e.g. 12, or by file, e.g. 9-stock) or --all. Each check says "
        "what was expected, what came, and a hint. Exit code 0 only when every check passed.",
    )
    grade.add_argument("task", nargs="?", metavar="TASK", help="a task number (0-13) or a course file (9-stock)")
    grade.add_argument("--all", action="store_true", help="check every task")
    grade.add_argument("--path", type=Path, default=Path("."), metavar="DIR",
                       help="the folder holding your files (default: the current folder)")
    grade.add_argument("--solution", action="store_true", help="check queuesim's reference solution instead")
    grade.add_argument("--json", action="store_true",
                       help='one JSON object per task: {"task", "passed", "checks": [{"name", "passed", "message"}]}')
    grade.set_defaults(func=_check)


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


def _usage(message: str) -> int:
    print(f"queuesim check: {message}", file=sys.stderr)
    return 2


def _check(args: argparse.Namespace) -> int:
    if args.all == (args.task is not None):
        return _usage("name one task (a number, or a file such as 9-stock) or give --all")
    if not args.solution and not args.path.is_dir():
        return _usage(f"no folder {args.path}: `queuesim practice init {args.path}` makes one with the stubs")
    if args.all and not args.solution and not _practice_files(args.path):
        return _no_practice_files(args.path)
    if args.all:
        reports = check_all(args.path, solution=args.solution)
    else:
        try:
            task = find_task(args.task)
        except UnknownTask as error:
            return _usage(str(error))
        if not args.solution and task.files and not _practice_files(args.path):
            return _no_practice_files(args.path)
        reports = [check(task.number, args.path, solution=args.solution)]
    _show(reports, as_json=args.json)
    return 0 if all(report.passed for report in reports) else 1


def _practice_files(folder: Path) -> list[Path]:
    """The course files in ``folder``."""
    return [folder / f.filename for task in TASKS for f in task.files if (folder / f.filename).is_file()]


def _no_practice_files(folder: Path) -> int:
    where = "this folder" if folder == Path(".") else str(folder)
    return _usage(f"no practice files in {where}: pass --path DIR, the folder `queuesim practice init DIR` wrote "
                  "(or run queuesim check inside it)")


def _show(reports: list[TaskReport], *, as_json: bool) -> None:
    if as_json:
        for report in reports:
            print(report.json_line())
        return
    for position, report in enumerate(reports):
        if position:
            print()
        print(report.text())
    if len(reports) > 1:
        done = sum(report.passed for report in reports)
        print(f"\n{done} of {len(reports)} tasks passed every check")
