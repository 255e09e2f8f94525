"""The public API is exactly what ``__all__`` lists, in ruff's isort-style order, and loads lazily."""

import subprocess
import sys
import types

import pytest

import queuesim


def isort_key(name: str) -> tuple[int, str]:
    """CONSTANTS first, then Classes, then everything else (ruff's RUF022 order)."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def public_names() -> set[str]:
    return {
        name
        for name, value in vars(queuesim).items()
        if (not name.startswith("_") or name == "__version__") and not isinstance(value, types.ModuleType)
    }


def test_all_is_sorted_and_complete() -> None:
    assert queuesim.__all__ == sorted(queuesim.__all__, key=isort_key)
    assert len(set(queuesim.__all__)) == len(queuesim.__all__)
    assert public_names() <= set(queuesim.__all__)  # nothing public that __all__ does not list
    for name in queuesim.__all__:
        assert getattr(queuesim, name) is not None  # every listed name resolves
    assert public_names() == set(queuesim.__all__)
    assert set(dir(queuesim)) >= set(queuesim.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        queuesim.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


HEAVY = ("numpy", "matplotlib", "simpy", "fastapi", "starlette", "pydantic", "uvicorn", "fakeredis", "lupa",
         "prometheus_client", "tqdm")


def _loaded(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def test_import_queuesim_loads_no_heavy_stack() -> None:
    assert _loaded("import queuesim") == []


def test_the_queue_loads_no_simulation_web_or_notebook_stack() -> None:
    assert _loaded("import queuesim\nqueuesim.Queue, queuesim.Worker, queuesim.AsyncQueue, queuesim.connect") == []
    assert _loaded("import queuesim.queue.worker_command, queuesim.queue.info_command") == []
