"""The public API is exactly what ``__all__`` lists, sorted."""

import types

import queuesim


def test_all_is_sorted_and_complete() -> None:
    public = sorted(name for name in vars(queuesim) if not name.startswith("_") or name == "__version__")
    # submodules imported as a side effect are not part of the API
    public = [n for n in public if not isinstance(getattr(queuesim, n), types.ModuleType)]
    assert queuesim.__all__ == sorted(queuesim.__all__)
    assert queuesim.__all__ == public
