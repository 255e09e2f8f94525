"""Asking the learner's service over HTTP: a route that raised fails the check with the learner's error."""

from __future__ import annotations

from fastapi import FastAPI

from queuesim.practice.apps import RouteError
from queuesim.practice.grading import Check, Grader
from queuesim.practice.learner import describe_call
from queuesim.practice.loopback import Answer, Served

__all__ = ["ServedRoutes"]


class ServedRoutes:
    """A shell app over the learner's routes, served on a loopback port (start it with ``with served:``)."""

    def __init__(self, grader: Grader, app: FastAPI) -> None:
        self.grader = grader
        self.app = app
        self.served = Served(app)

    def __repr__(self) -> str:
        return f"<ServedRoutes {self.served!r}>"

    def get(self, check: Check, path: str) -> Answer:
        """``GET path``; a route that raised or returned nonsense fails ``check`` with the learner's error."""
        errors: list[RouteError] = self.app.state.errors
        before = len(errors)
        answer = self.served.get(path)
        if answer.status == 500 and len(errors) > before:
            error = errors[-1]
            cause = error.error
            detail = describe_call(error.route, cause, self.grader.files()) if cause else str(error)
            if isinstance(cause, NotImplementedError):
                check.fail(f"an answer to GET {path}", detail, "not-written")
            check.fail(f"an answer to GET {path}", f"500 (Internal server error): {detail}")
        return answer

    def expect(self, check: Check, path: str, status: int, body: str, concept_key: str | None = None) -> None:
        """Fail ``check`` unless ``GET path`` answers exactly ``status`` and ``body``."""
        answer = self.get(check, path)
        if (answer.status, answer.text) != (status, body):
            check.fail(f"GET {path} → {status} {body}", f"GET {path} → {answer}", concept_key)
