"""Sub-commands for the exercises: ``queuesim exercise``, ``seed``, ``tour`` and ``store``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import redis.exceptions

from queuesim.connection import connect, mask_url, redis_url
from queuesim.errors import QueuesimError
from queuesim.exercises import EXERCISES, Exercise, store
from queuesim.exercises.jobs import DEFAULT_TIMEOUT
from queuesim.exercises.seed import seed_store
from queuesim.exercises.stopping import Terminated, sigterm_raises
from queuesim.exercises.tour import run_tour

__all__ = ["embedded_hint", "register"]


def register(sub: Any) -> None:
    """Add the exercise sub-commands to ``sub`` (an argparse sub-parsers object)."""
    redis_option = argparse.ArgumentParser(add_help=False)
    redis_option.add_argument(
        "--redis",
        metavar="URL",
        default=None,
        help="Redis URL (redis://, rediss://, unix://); default: REDIS_URL, else the embedded store",
    )

    p = sub.add_parser(
        "exercise",
        parents=[redis_option],
        help="run one exercise of the course",
        description="Run one exercise by its original file name, e.g. `queuesim exercise 1-redis_op`.",
    )
    p.add_argument("name", nargs="?", help="the exercise, e.g. 1-redis_op (see --list)")
    p.add_argument("--list", action="store_true", help="list the exercises with a one-line summary")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"job creators: give up (exit code 1) if the jobs are not finished after this long "
        f"(default {DEFAULT_TIMEOUT:g}; 0 waits forever)",
    )
    p.add_argument(
        "--burst",
        action="store_true",
        default=None,
        help="job processors: exit once the queue is empty instead of waiting for more jobs",
    )
    p.set_defaults(func=_exercise)

    s = sub.add_parser(
        "seed", parents=[redis_option], help="put exercise 0's data (Holberton=School) in the store"
    )
    s.set_defaults(func=_seed)

    t = sub.add_parser("tour", parents=[redis_option], help="run the exercises in order, in one process")
    t.set_defaults(func=_tour)

    st = sub.add_parser(
        "store",
        help="serve the embedded store over TCP, for exercises split across terminals",
        description="Serve the seeded embedded store on a local port until Ctrl-C, so that several "
        "processes (e.g. 5-subscriber and 5-publisher) share it without a Redis server.",
    )
    st.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    st.add_argument(
        "--port", type=_port, default=None, help="port to listen on (default 6390; 0 = any free port)"
    )
    st.set_defaults(func=_store)


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be from 0 to 65535, got {port}")
    return port


def _seconds(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be a finite number >= 0, got {text}")
    return seconds


def _guarded(func: Callable[[], int]) -> int:
    """Run ``func`` with SIGTERM handled like Ctrl-C; report expected failures without a traceback."""
    try:
        with sigterm_raises():
            return func()
    except Terminated:
        return 143
    except KeyboardInterrupt:
        return 130
    except (QueuesimError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        print(f"queuesim: {exc}", file=sys.stderr)
        return 1


def embedded_hint(exercise: Exercise) -> str:
    """The stderr line shown when a cross-process exercise runs on the (process-local) embedded store."""
    return (
        f"hint: {exercise.name} is using the embedded store, which lives inside this process only, so the "
        "other half of the exercise in another terminal cannot reach it; run `queuesim store` and set "
        f"REDIS_URL={store.DEFAULT_URL} in both terminals, or run `queuesim tour` to see both halves."
    )


def _exercise(args: argparse.Namespace) -> int:
    if args.list:
        width = max(len(name) for name in EXERCISES)
        for item in EXERCISES.values():
            print(f"{item.name:<{width}}  {item.summary}")
        return 0
    if args.name is None:
        print("queuesim exercise: name an exercise, or use --list to see them", file=sys.stderr)
        return 2
    exercise = EXERCISES.get(args.name)
    if exercise is None:
        known = ", ".join(EXERCISES)
        print(f"queuesim exercise: no exercise named {args.name!r}; known: {known}", file=sys.stderr)
        return 2
    options = {name: getattr(args, name) for name in _EXERCISE_OPTIONS if getattr(args, name) is not None}
    refused = sorted(set(options) - set(exercise.options))
    if refused:
        print(f"queuesim exercise: {exercise.name} does not take --{refused[0]}", file=sys.stderr)
        return 2
    if options.get("timeout") == 0:
        options["timeout"] = None  # 0 waits forever
    return _guarded(lambda: _run_exercise(exercise, args.redis, options))


#: Options of ``queuesim exercise`` that only some exercises take (see ``Exercise.options``).
_EXERCISE_OPTIONS = ("timeout", "burst")


def _run_exercise(exercise: Exercise, url: str | None, options: dict[str, Any]) -> int:
    if exercise.cross_process and redis_url(url) is None:
        print(embedded_hint(exercise), file=sys.stderr)
    return exercise.load()(url, **options)


def _seed(args: argparse.Namespace) -> int:
    return _guarded(lambda: _seed_store(args.redis))


def _seed_store(url: str | None) -> int:
    chosen = redis_url(url)
    client = connect(chosen)
    try:
        written = ", ".join(f"{k}={v}" for k, v in seed_store(client).items())
    finally:
        client.close()
    if chosen is None:
        print(f"The embedded store holds {written} from the start (it lives in this process only;")
        print("run `queuesim store` to share it with other processes).")
    else:
        print(f"Seeded {mask_url(chosen)}: {written}")
    return 0


def _tour(args: argparse.Namespace) -> int:
    return _guarded(lambda: run_tour(args.redis))


def _store(args: argparse.Namespace) -> int:
    host = args.host if args.host is not None else store.DEFAULT_HOST
    port = args.port if args.port is not None else store.DEFAULT_PORT
    return _guarded(lambda: store.serve_store(host, port))
