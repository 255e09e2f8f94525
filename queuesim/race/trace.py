"""The command trace of a run: what each client sent, when it took effect, and what came back.

Every round trip a simulated client makes is one :class:`TraceEntry`: the client,
the command (or the commands of one pipeline or ``MULTI``/``EXEC`` transaction), the
virtual times it was sent, executed at the server and answered, and the reply as
the user's code received it (or the error raised there). :func:`format_trace` prints
a trace interleaved, one column per client, in execution order; :func:`entry_dict`
is the JSON form (the ``trace`` of ``queuesim race-check --json``). Times are
milliseconds of virtual time in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from queuesim.race.client import PIPELINE, Command

__all__ = [
    "TraceEntry",
    "entry_dict",
    "format_command",
    "format_reply",
    "format_state",
    "format_trace",
    "format_value",
    "preemptions",
    "stable_repr",
    "state_changes",
]

_WORD = 24  # longest argument shown in full (Lua sources, long values are cut)
_REPLY = 40
_COLUMN = 44
_STATE_LINE = 60  # a longer store is shown as what each command changed
_SOURCE = 16  # Lua source shown in EVAL and SCRIPT LOAD


@dataclass(slots=True)
class TraceEntry:
    """One round trip of one client (times in seconds of virtual time)."""

    #: the client's number (its ``i``)
    client: int
    #: ``"command"``, ``"transaction"`` (MULTI/EXEC) or ``"pipeline"``
    kind: str
    #: the command words sent (several for a pipeline or a transaction)
    commands: tuple[Command, ...]
    #: when the client sent it
    sent: float
    #: when it took effect at the server
    at: float
    #: when the reply reached the client (``None`` if the run stopped before)
    received: float | None
    #: whether the reply was a value (else :attr:`reply` is the exception raised in the client)
    ok: bool
    #: the reply as the client's code received it, or the exception
    reply: Any
    #: the store's keys and values right after it (recorded runs only: counterexamples)
    state: dict[str, str] | None = None

    @property
    def command(self) -> str:
        """The command as text, e.g. ``GET item.1`` or ``MULTI; SET item.1 3; EXEC``."""
        return format_command(self.kind, self.commands)

    @property
    def reply_text(self) -> str:
        """The reply as text: its ``repr``, or ``ErrorName: message``."""
        return format_reply(self.ok, self.reply)


def format_value(value: Any, limit: int = _WORD) -> str:
    """One command word or value, short: plain text as is, anything else (or with spaces) as its repr."""
    plain = isinstance(value, str) and value and not any(c.isspace() or c in "'\"" for c in value)
    text = value if plain else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(command: Command) -> str:
    if not command:
        return ""
    name = command[0]
    name_text = (name.decode() if isinstance(name, bytes) else str(name)).upper()
    words = [name_text]
    for i, word in enumerate(command[1:]):
        if i == 0 and name_text == "EVALSHA":
            words.append(format_value(word, 10))
        elif (i == 0 and name_text in ("EVAL", "SCRIPT LOAD")) or (i == 1 and name_text == "SCRIPT"):
            words.append(format_value(word, _SOURCE))
        else:
            words.append(format_value(word))
    return " ".join(words)


def format_command(kind: str, commands: Sequence[Command]) -> str:
    """The text of one round trip: ``GET k``; ``MULTI; SET k 3; EXEC``; ``[GET a; GET b]`` for a pipeline."""
    text = "; ".join(_words(c) for c in commands)
    return f"[{text}]" if kind == PIPELINE else text


def stable_repr(value: Any) -> str:
    """``repr(value)``, with the members of every set in sorted order (a set iterates in hash order,
    which for strings changes from one process to the next)."""
    if isinstance(value, set | frozenset):
        if not value:
            return repr(value)
        inner = ", ".join(sorted(stable_repr(member) for member in value))
        return f"{{{inner}}}" if isinstance(value, set) else f"frozenset({{{inner}}})"
    if isinstance(value, list):
        return "[" + ", ".join(stable_repr(item) for item in value) + "]"
    if isinstance(value, tuple):
        items = [stable_repr(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items()) + "}"
    return repr(value)


def format_reply(ok: bool, reply: Any, limit: int = _REPLY) -> str:
    """A reply as text: ``'4'``, ``True``, ``None``, ``[True, 3]``; an error as ``WatchError: ...``."""
    if ok:
        text = stable_repr(reply)
    else:
        message = str(reply)
        text = f"{type(reply).__name__}: {message}" if message else type(reply).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 6)


def entry_dict(entry: TraceEntry) -> dict[str, Any]:
    """The JSON form: ``client``, ``t`` (ms, when it took effect), ``command``, ``reply``, and more.

    Also ``sent`` and ``received`` (ms), ``error`` (whether the reply was an error)
    and, in recorded runs, ``state`` (the store right after).
    """
    out: dict[str, Any] = {
        "client": entry.client,
        "t": _ms(entry.at),
        "command": entry.command,
        "reply": entry.reply_text,
        "sent": _ms(entry.sent),
        "received": _ms(entry.received),
        "error": not entry.ok,
    }
    if entry.state is not None:
        out["state"] = dict(entry.state)
    return out


def preemptions(trace: Sequence[TraceEntry]) -> int:
    """How many times the server went from one client to another that still had commands to come."""
    last_of: dict[int, int] = {}
    for position, entry in enumerate(trace):
        last_of[entry.client] = position
    count = 0
    for position in range(1, len(trace)):
        previous = trace[position - 1].client
        if trace[position].client != previous and last_of[previous] > position:
            count += 1
    return count


def format_state(state: dict[str, str] | None, limit: int = 60) -> str:
    """The store's keys and values in one line, ``stock=3 sold=1`` (cut at ``limit``)."""
    if state is None:
        return ""
    text = " ".join(f"{key}={value}" for key, value in state.items()) or "(empty)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_changes(before: dict[str, str] | None, after: dict[str, str] | None) -> str:
    """What changed in the store: ``key=value`` of the keys written, ``key deleted`` of the others."""
    before, after = before or {}, after or {}
    parts = [f"{key}={value}" for key, value in after.items() if before.get(key) != value]
    parts += [f"{key} deleted" for key in before if key not in after]
    return " ".join(parts)


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_trace(
    trace: Sequence[TraceEntry], clients: Sequence[int] | None = None, initial: dict[str, str] | None = None
) -> str:
    """The trace interleaved: one row per round trip in execution order, one column per client.

    Each cell reads ``COMMAND → REPLY``; the first column is the virtual time (ms)
    at which the command took effect. When the trace recorded the store's state, a
    last column shows it after each command (and a first row, ``initial``, the store
    before the first command); when a state is too long for one line, the column
    shows only what each command changed (``store: what changed``), never a cut state.
    """
    shown = sorted({e.client for e in trace}) if clients is None else list(clients)
    if not trace:
        return "(no commands)"
    column = {client: n for n, client in enumerate(shown)}
    cells = [f"{e.command} → {e.reply_text}" for e in trace]
    width = min(_COLUMN, max(len(c) for c in cells))
    width = max(width, max(len(f"client {c}") for c in shown))
    with_state = any(e.state is not None for e in trace)
    header = ["  t (ms)", *[f"client {c}".ljust(width) for c in shown]]
    whole = with_state and all(len(format_state(s, 10**6)) <= _STATE_LINE for s in [initial, *(e.state for e in trace)])
    if with_state:
        header.append("store after" if whole else "store: what changed")
    lines = ["  ".join(header).rstrip()]
    if with_state and initial is not None:
        lines.append("  ".join(["   setup", *[" " * width for _ in shown], format_state(initial, 10**6)]))
    previous = initial
    for entry, cell in zip(trace, cells, strict=True):
        row = [f"{entry.at * 1000:8.3f}"] + [""] * len(shown)
        row[1 + column[entry.client]] = _cell(cell, width)
        parts = [row[0], *[c.ljust(width) for c in row[1:]]]
        if with_state:
            parts.append(format_state(entry.state) if whole else state_changes(previous, entry.state))
            previous = entry.state
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
