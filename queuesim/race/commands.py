"""``queuesim race-check``: find a race in anyone's redis-py code, from the command line.

    queuesim race-check TARGET --setup SETUP --invariant CHECK [--clients K] [--schedules N]
                        [--seed S] [--rtt-ms T] [--json]

TARGET, SETUP and CHECK are ``package.module:function`` or ``path/to/file.py:function``
(a bare ``function`` for SETUP and CHECK is looked up beside TARGET). ``TARGET(r, i)``
runs once in each client ``i``, ``SETUP(r)`` once before, ``CHECK(r, results)`` after
all clients ended. Exit code 0: no violation found; 1: a violation (the seed that
replays it and a minimised counterexample are printed); 2: a usage error, or a check
that could not run (one line on stderr, never a traceback).

``--json`` prints one object: ``violation`` (bool), ``schedules`` (how many were
tried), ``seed`` (the seed that replays the violation, or null), ``counterexample``
(null, or ``{"clients": [...], "trace": [{"client", "t", "command", "reply"}, ...]}``,
``t`` in milliseconds of virtual time), and ``message``, ``scheduler``, ``schedule``,
``clients``, ``raised`` (clients that raised) and ``unstable`` (a run that went
differently when run again).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any, NoReturn

__all__ = ["register"]

_DEFAULTS = {"clients": 10, "schedules": 100, "seed": 1, "rtt_ms": 1.0, "scheduler": "mixed", "backend": "fast",
             "max_commands": 10_000, "stall_seconds": 5.0}


def _plot_path(text: str) -> str:
    from queuesim.sim.commands import plot_path

    return plot_path(text)


class _OneLineUsageErrors(argparse.ArgumentParser):
    """race-check's parser: a usage error is one line (the contract), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        """Print ``queuesim race-check: MESSAGE (-h for help)`` and exit with 2."""
        self.exit(2, f"{self.prog}: {message} ({self.prog} -h for help)\n")


def register(sub: Any) -> None:
    """Add ``queuesim race-check`` to the command line."""
    p = sub.add_parser(
        "race-check",
        help="find a race in redis-py code: schedules in virtual time, a replayable seed, a minimised counterexample",
        description="Run TARGET(r, i) in K simulated clients against one simulated Redis, schedule after schedule "
                    "(seeded random delays and PCT priorities), until CHECK(r, results) fails. Exit code 0: no "
                    "violation; 1: a violation (with the seed that replays it); 2: a usage error.",
    )
    p.add_argument("target", metavar="TARGET", help="package.module:function or path/to/file.py:function, "
                                                    "called as TARGET(r, i) by each client i")
    p.add_argument("--setup", required=True, metavar="SETUP",
                   help="SETUP(r), run once before the clients (a bare name: beside TARGET)")
    p.add_argument("--invariant", required=True, metavar="CHECK",
                   help="CHECK(r, results) after the clients: True when it holds, False or a message when not")
    p.add_argument("--clients", type=int, default=_DEFAULTS["clients"], metavar="K",
                   help="simulated clients (default 10)")
    p.add_argument("--schedules", type=int, default=_DEFAULTS["schedules"], metavar="N",
                   help="schedules to try at most (default 100)")
    p.add_argument("--seed", type=int, default=_DEFAULTS["seed"], metavar="S",
                   help="the first schedule's seed; a reported seed with --schedules 1 replays it (default 1)")
    p.add_argument("--rtt-ms", type=float, default=_DEFAULTS["rtt_ms"], metavar="T",
                   help="mean client-Redis round trip in ms (default 1)")
    p.add_argument("--arrival-rate", type=float, metavar="L",
                   help="clients arrive as a Poisson stream of L per second (default: all at once)")
    p.add_argument("--scheduler", choices=["mixed", "random", "pct"], default=_DEFAULTS["scheduler"],
                   help="random delays, PCT priorities, or each schedule either (mixed, the default)")
    p.add_argument("--check-every-command", action="store_true",
                   help="also check the invariant after every command (unfinished clients' results: RUNNING)")
    p.add_argument("--max-commands", type=int, default=_DEFAULTS["max_commands"], metavar="N",
                   help="command budget of one schedule; past it the target is taken to loop (default 10000)")
    p.add_argument("--stall-seconds", type=float, default=_DEFAULTS["stall_seconds"], metavar="T",
                   help="seconds one client may run between two commands; past it the target is taken to loop "
                        "without sending any, or to wait on a lock another client holds (default 5)")
    p.add_argument("--backend", choices=["fast", "fakeredis"], default=_DEFAULTS["backend"],
                   help="the simulated store: fast (default) or fakeredis (more commands, slower)")
    p.add_argument("--plot", type=_plot_path, metavar="FILE",
                   help="draw the counterexample as swimlanes into FILE (png, svg, pdf, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.__class__ = _OneLineUsageErrors  # add_parser builds a plain ArgumentParser
    p.set_defaults(func=_run, usage_error=p.error)


def _replay_command(args: argparse.Namespace, seed: int) -> str:
    words = ["queuesim", "race-check", args.target, "--setup", args.setup, "--invariant", args.invariant]
    for option in ("clients", "rtt_ms", "arrival_rate", "scheduler", "max_commands", "stall_seconds", "backend"):
        value = getattr(args, option)
        if value is not None and value != _DEFAULTS.get(option):
            words += [f"--{option.replace('_', '-')}", f"{value:g}" if isinstance(value, float) else str(value)]
    if args.check_every_command:
        words.append("--check-every-command")
    words += ["--seed", str(seed), "--schedules", "1"]
    return shlex.join(words)


def _fail(message: str) -> int:
    print(f"queuesim race-check: {message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from queuesim.race.errors import RaceError
    from queuesim.race.finder import find_race
    from queuesim.race.load import Load
    from queuesim.race.schedulers import check_seed
    from queuesim.race.targets import load_function, split_spec

    try:
        where, _ = split_spec(args.target)
        target = load_function(args.target)
        setup = load_function(args.setup, default_module=where)
        invariant = load_function(args.invariant, default_module=where)
    except RaceError as exc:
        return _fail(str(exc))
    try:
        check_seed(args.seed)
        if args.schedules < 1:
            raise ValueError(f"--schedules must be 1 or more, got {args.schedules}")
        load = Load(target, clients=args.clients, setup=setup, invariant=invariant, arrival_rate=args.arrival_rate,
                    rtt_ms=args.rtt_ms, check_every_command=args.check_every_command,
                    max_commands=args.max_commands, stall_seconds=args.stall_seconds,
                    backend=args.backend)
    except ValueError as exc:  # an option out of range: the Load's own checks say which
        args.usage_error(str(exc))
    except TypeError as exc:  # a function that does not take the arguments it is given
        return _fail(str(exc))
    try:
        finding = find_race(load, schedules=args.schedules, seed=args.seed, scheduler=args.scheduler)
    except RaceError as exc:
        return _fail(str(exc))
    if args.plot and finding.counterexample is not None:
        _draw(finding, args.plot)
    for note in (finding.raised_note(), finding.unstable_note()):
        if note is not None:  # not a failure by itself, but never silent
            print(f"queuesim race-check: note: {note}", file=sys.stderr)
    if args.json:
        print(finding.to_json())
        return 1 if finding.violation else 0
    start = "all at once" if args.arrival_rate is None else f"{args.arrival_rate:g}/s"
    print(f"race-check {args.target}: {args.clients} clients arriving {start}, RTT {args.rtt_ms:g} ms, "
          f"up to {args.schedules} schedules ({args.scheduler}) from seed {args.seed}")
    if not finding.violation:
        print(finding.format())
        return 0
    assert finding.seed is not None
    lines = finding.format().splitlines()
    print(lines[0])
    print(f"replay it: {_replay_command(args, finding.seed)}")
    print("\n".join(lines[1:]))
    if args.plot:
        print(f"swimlanes: {args.plot}")
    return 1


def _draw(finding: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = finding.counterexample.plot()
    ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
