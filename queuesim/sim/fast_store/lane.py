"""A direct lane for script steps: a simulation driver's ``ScriptCall`` straight into a FastStore's Lua state.

Through :class:`~queuesim.drivers.SyncDriver`, a script step on a :class:`FastClient`
goes through redis-py's layers: ``execute_command`` and its response callbacks for a
lone ``EVALSHA``, and for a batch a ``Pipeline`` object, its command stack and its
callbacks. ``EVALSHA`` has no response callback, so none of that changes a reply;
:class:`ScriptLane` sends the same words on the same connection and decodes the same
replies with the same rules, skipping the layers. It keeps SyncDriver's semantics:

* a lone script is sent as ``EVALSHA``; on ``NOSCRIPT`` it is sent again as ``EVAL``
  with its source;
* before a batch, the scripts in it that this lane has not loaded yet are loaded
  with ``SCRIPT LOAD`` (a pipeline cannot fall back to ``EVAL`` halfway); a
  ``NOSCRIPT`` reply inside a batch (the scripts were flushed meanwhile) runs that
  step again on its own;
* an error reply is raised (for a batch, the first one, after the whole batch ran).

Only lone script calls and non-atomic batches of script calls take the lane
(:meth:`ScriptLane.accepts`), and only while the client has redis-py's own response
callbacks (none for ``EVALSHA``); every other step keeps the ordinary path.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import NoScriptError, ResponseError

from queuesim.drivers import Batch, Step
from queuesim.scripts import ScriptCall
from queuesim.sim.fast_store.client import _MAX_ARGS, FastClient
from queuesim.sim.fast_store.replies import decode, encode_args, encode_one

__all__ = ["ScriptLane"]

#: ``len(keys)`` as the word EVALSHA takes, for the usual numbers of keys
_COUNTS = tuple(str(n) for n in range(64))


def _script_words(call: ScriptCall) -> tuple[Any, ...] | list[Any]:
    """``EVALSHA sha numkeys keys... args...`` encoded (the keys are ``str`` as a rule, the
    arguments seldom all are)."""
    keys = call.keys
    args = [a if type(a) is str else (str(a) if type(a) is int else encode_one(a)) for a in call.args]
    for k in keys:
        if type(k) is not str:
            keys = encode_args(keys)  # type: ignore[assignment]
            break
    n = len(keys)
    return ("EVALSHA", call.script.sha, _COUNTS[n] if n < 64 else str(n), *keys, *args)


def _is_noscript(reply: Any) -> bool:
    return isinstance(reply, NoScriptError) or (isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT"))


class ScriptLane:
    """Runs script steps on ``client``'s connection without redis-py's per-call layers (see the module docstring).

    Args:
        client: a :class:`FastClient` that decodes responses (``decode_responses=True``).
    """

    __slots__ = ("_client", "_clock", "_id", "_loaded", "_serve", "_store")

    def __init__(self, client: FastClient) -> None:
        if not client._decode:
            raise ValueError("a ScriptLane needs a client with decode_responses=True")
        self._client = client
        self._store = client.store
        self._id = client._id
        self._serve = client.store.lua.serve
        self._clock = client.store.clock
        #: SHAs this lane has loaded with SCRIPT LOAD (scripts sent in a batch must be there)
        self._loaded: set[str] = set()

    def __repr__(self) -> str:
        return f"<ScriptLane connection #{self._id}>"

    def accepts(self, step: Step) -> bool:
        """Whether ``step`` is one the lane runs: a script call, or a non-atomic batch of script calls.

        Never once the client has callbacks of its own (one may be for ``EVALSHA``).
        """
        if self._client._own_callbacks:
            return False
        if type(step) is ScriptCall:
            return True
        if type(step) is Batch and not step.atomic and step.steps:
            for s in step.steps:  # noqa: SIM110 - a loop, not all(): no generator per batch
                if type(s) is not ScriptCall:
                    return False
            return True
        return False

    def execute(self, step: ScriptCall | Batch) -> Any:
        """The step's reply, or its error raised (as :meth:`SyncDriver.execute` gives them)."""
        if type(step) is ScriptCall:
            return self._script(step)
        assert isinstance(step, Batch)
        return self._batch(step)

    def script(self, call: ScriptCall) -> tuple[bool, Any]:
        """A lone script call as ``(True, reply)`` or ``(False, error)``: what :meth:`execute` gives
        or raises, by the shortest path (the simulation driver's; the caller checked :meth:`accepts`).
        An argument redis-py would refuse raises its ``DataError``, as :meth:`execute` does."""
        words = _script_words(call)
        if len(words) > _MAX_ARGS:
            res = self._store.serve(self._id, words)
        else:
            res = self._serve(self._id, self._clock(), *words)
        if type(res) is not tuple:
            return True, (None if res is False else res)
        reply = decode(res)
        if isinstance(reply, ResponseError):
            if not _is_noscript(reply):
                return False, reply
            # not cached in the store (SCRIPT FLUSH): EVAL sends the source and caches it again
            reply = self._run(("EVAL", call.script.source, len(call.keys), *call.keys, *call.args))
            if isinstance(reply, ResponseError):
                return False, reply
        return True, reply

    def _run(self, words: tuple[Any, ...] | list[Any]) -> Any:
        res = self._store.serve(self._id, encode_args(words))  # type: ignore[arg-type]
        if type(res) is tuple:
            return decode(res)
        return None if res is False else res

    def _script(self, call: ScriptCall) -> Any:
        ok, reply = self.script(call)
        if not ok:
            raise reply
        return reply

    def _batch(self, batch: Batch) -> list[Any]:
        calls: tuple[ScriptCall, ...] = batch.steps  # type: ignore[assignment]  # accepts() checked
        loaded = self._loaded
        for call in calls:
            if call.script.sha not in loaded:
                reply = self._run(("SCRIPT", "LOAD", call.script.source))
                if isinstance(reply, ResponseError):
                    raise reply
                loaded.add(call.script.sha)
        flat: list[Any] = []
        for call in calls:
            words = _script_words(call)
            flat.append(len(words))
            flat.extend(words)
        store = self._store
        if len(flat) > _MAX_ARGS:
            res = store.lua.serve_many_table(self._id, self._clock(), len(calls), store.lua.lua.table_from(flat))
        else:
            res = store.lua.serve_many(self._id, self._clock(), len(calls), *flat)
        replies: list[Any] = decode(res) if type(res) is tuple else []
        for i, reply in enumerate(replies):
            if isinstance(reply, ResponseError) and _is_noscript(reply):
                # the store lost its scripts since we loaded them: that step did not run, so run it alone
                loaded.clear()
                replies[i] = self._script(calls[i])
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies
