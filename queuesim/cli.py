"""The ``queuesim`` command: one sub-command per feature, each registered by its own module.

Each feature module exposes ``register(subparsers)``, which adds its
sub-command and sets ``func`` (taking the parsed arguments, returning an exit
code). Keeping that in the feature's module keeps this file small.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import redis

from queuesim._version import __version__
from queuesim.errors import QueuesimError

__all__ = ["build_parser", "main"]

#: Modules that add sub-commands, in the order ``queuesim --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "queuesim.exercises.commands",
    "queuesim.sim.commands",
    "queuesim.race.commands",
    "queuesim.bench_commands",
    "queuesim.web.commands",
    "queuesim.practice.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="queuesim",
        description="Learn, build and load-test queuing systems on Redis.",
        epilog="Redis: REDIS_URL when set (or --redis where offered), else the embedded store.",
    )
    parser.add_argument("--version", action="version", version=f"queuesim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (QueuesimError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        # expected failures (no server, a bad URL, ...): one line, no traceback
        print(f"queuesim {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `queuesim ... | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
