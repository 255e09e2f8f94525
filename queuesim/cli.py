"""The ``queuesim`` command: one sub-command per feature, each registered by its own module.

Each feature module exposes ``register(subparsers)``, which adds its
sub-command and sets ``func`` (taking the parsed arguments, returning an exit
code). Keeping that in the feature's module keeps this file small.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

import redis

from queuesim._version import __version__
from queuesim.connection import EMBEDDED_ENV
from queuesim.errors import QueuesimError

__all__ = ["COMMANDS_OF", "PACKAGE_EXTRAS", "CommandParser", "build_parser", "main"]

#: Modules that add sub-commands, in the order ``queuesim --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "queuesim.exercises.commands",
    "queuesim.sim.commands",
    "queuesim.race.commands",
    "queuesim.bench_commands",
    "queuesim.web.commands",
    "queuesim.practice.commands",
    "queuesim.queue.worker_command",
    "queuesim.queue.info_command",
)


#: The sub-commands of the modules that need an extra, with the extra each command needs (the one
#: that brings what its module imports and what it imports when it runs), known without importing
#: them (a test holds this to what they register), so a light install can say what to install.
COMMANDS_OF: dict[str, dict[str, str]] = {
    "queuesim.exercises.commands": {"exercise": "embedded", "seed": "embedded", "store": "embedded",
                                    "tour": "embedded"},
    "queuesim.sim.commands": {"demo": "sim", "simulate": "sim"},
    "queuesim.race.commands": {"race-check": "sim"},
    # reset writes the services' keys (fakeredis at import, no FastAPI); serve runs them on FastAPI
    "queuesim.web.commands": {"reset": "embedded", "serve": "web"},
    "queuesim.practice.commands": {"check": "embedded", "practice": "embedded"},
}


#: The extra that brings a package a registered command imports only when it runs (``queuesim serve``
#: imports FastAPI then), for the message when an install has the command's module but not that extra.
PACKAGE_EXTRAS: dict[str, str] = {
    "fastapi": "web", "uvicorn": "web", "starlette": "web", "prometheus_client": "web",
    "simpy": "sim", "numpy": "sim", "matplotlib": "sim", "tqdm": "sim", "greenlet": "sim",
    "fakeredis": "embedded", "lupa": "embedded", "distributed": "dask",
}


class CommandParser(argparse.ArgumentParser):
    """The ``queuesim`` parser, which also knows the command modules it had to leave out."""

    #: command module -> the package it misses
    missing: dict[str, str]
    #: the sub-commands registered
    commands: set[str]


def build_parser() -> CommandParser:
    """The argument parser with every registered sub-command.

    A command module whose packages are not installed (a light install: ``pip install
    queuesim`` brings the queue only) is left out; :attr:`missing` on the parser says
    which, and why.
    """
    parser = CommandParser(
        prog="queuesim",
        description="Learn, build and load-test queuing systems on Redis.",
        epilog="Redis: REDIS_URL when set (or --redis where offered), else the embedded store.",
    )
    parser.add_argument("--version", action="version", version=f"queuesim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    missing: dict[str, str] = {}
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.split(".")[0] == "queuesim":
                raise  # our own module missing is a bug, not a light install
            missing[name] = exc.name
            continue
        module.register(sub)
    parser.missing = missing
    parser.commands = set(sub.choices)
    if missing:
        by_extra: dict[str, list[str]] = {}
        for name in missing:
            for command, extra in COMMANDS_OF.get(name, {}).items():
                by_extra.setdefault(extra, []).append(command)
        absent = "; ".join(f"{', '.join(sorted(commands))} (queuesim[{extra}])"
                           for extra, commands in sorted(by_extra.items()))
        parser.epilog = f"{parser.epilog} Not installed here: {absent}."
    return parser


def _not_installed(parser: CommandParser, argv: Sequence[str]) -> str | None:
    """The message for a command that is not there because its packages are not installed, if it is one."""
    missing = parser.missing
    words = [a for a in argv if not a.startswith("-")]
    if not missing or not words or words[0] in parser.commands:
        return None
    command = words[0]
    for name, package in missing.items():
        extra = COMMANDS_OF.get(name, {}).get(command)
        if extra is not None:
            return (f"queuesim {command}: needs {package}, which is not installed: "
                    f"pip install 'queuesim[{extra}]' (or 'queuesim[all]')")
    extras = sorted({extra for name in missing for extra in COMMANDS_OF.get(name, {"?": "all"}).values()})
    packages = ", ".join(sorted(set(missing.values())))
    return (f"queuesim: no command {command!r} here; some commands need packages that are not installed "
            f"({packages}): pip install 'queuesim[{','.join(extras)}]' (or 'queuesim[all]')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    hint = _not_installed(parser, sys.argv[1:] if argv is None else argv)
    if hint is not None:
        print(hint, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    if not getattr(args, "needs_a_server", False):
        # the exercises, the demo and the services are meant to run on the embedded store when no URL
        # is given: that is a choice, not an accident, so no warning (see queuesim.connection)
        os.environ.setdefault(EMBEDDED_ENV, "1")
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (QueuesimError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        # expected failures (no server, a bad URL, ...): one line, no traceback
        print(f"queuesim {args.command}: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        package = (exc.name or "").split(".")[0]
        if package not in PACKAGE_EXTRAS:
            raise
        print(f"queuesim {args.command}: needs {package}, which is not installed: "
              f"pip install 'queuesim[{PACKAGE_EXTRAS[package]}]' (or 'queuesim[all]')", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `queuesim ... | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
