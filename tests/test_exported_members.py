"""The public API is exactly what ``__all__`` lists, in ruff's isort-style order."""

import types

import queuesim


def isort_key(name: str) -> tuple[int, str]:
    """CONSTANTS first, then Classes, then everything else (ruff's RUF022 order)."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(queuesim).items()
        if (not name.startswith("_") or name == "__version__") and not isinstance(value, types.ModuleType)
    }
    assert queuesim.__all__ == sorted(queuesim.__all__, key=isort_key)
    assert set(queuesim.__all__) == public
    assert len(queuesim.__all__) == len(public)
