"""queuesim.sim has its own sorted, complete __all__; importing queuesim stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import queuesim.sim


def test_all_is_sorted_and_complete() -> None:
    public = sorted(
        name
        for name, value in vars(queuesim.sim).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    )
    assert queuesim.sim.__all__ == sorted(queuesim.sim.__all__)
    assert queuesim.sim.__all__ == public


def test_import_costs() -> None:
    code = (
        "import sys, queuesim\n"
        "assert 'simpy' not in sys.modules, 'import queuesim pulled in simpy'\n"
        "import queuesim.sim\n"
        "assert 'simpy' in sys.modules\n"
        "assert 'matplotlib' not in sys.modules, 'import queuesim.sim pulled in matplotlib'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
