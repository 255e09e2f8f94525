"""Serving an app on a loopback port for the length of a check, and asking it over real HTTP.

The checks of tasks 12 and 13 talk to the learner's service as the course's
checker did (``curl``): real requests on a local socket, the exact bytes of
each answer. No server outside this process, nothing on the network.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from fastapi import FastAPI

from queuesim.web.serve import build_server

__all__ = ["Answer", "Served"]

_REQUEST_TIMEOUT = 20.0
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: its status and its body's text."""

    status: int
    text: str

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.text[:60]!r}>"

    def __str__(self) -> str:
        return f"{self.status} {self.text}"

    @property
    def json(self) -> Any:
        """The body as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class Served:
    """``app`` served on 127.0.0.1 in a thread while the ``with`` block runs (startup and shutdown included)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self._server = build_server(app, "127.0.0.1", self.port, log_level="critical", log_config=None)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="practice-server", daemon=True)

    def __repr__(self) -> str:
        return f"<Served 127.0.0.1:{self.port}>"

    def __enter__(self) -> Served:
        self._thread.start()  # requests sent before it accepts wait in the socket's backlog
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut the server down (the app's shutdown runs) and close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_STOP_TIMEOUT)
        self._socket.close()

    def get(self, path: str) -> Answer:
        """``GET path``, and its answer (4xx and 5xx included).

        Raises:
            OSError: the server did not answer (a timeout, a closed connection).
        """
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=_REQUEST_TIMEOUT) as response:
                return Answer(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read().decode("utf-8", "replace"))
