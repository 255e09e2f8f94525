"""Swimlanes, and matplotlib staying out of ``import queuesim`` and ``import queuesim.race``."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from queuesim.race import Load, find_race, plot_swimlanes
from queuesim.race.examples import stock


def test_a_counterexample_draws_a_lane_per_client_and_the_store() -> None:
    counterexample = find_race(Load(stock.reserve_naive, setup=stock.setup, invariant=stock.check)).counterexample
    assert counterexample is not None
    ax = counterexample.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["client 0", "client 1", "store"]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("GET item.1 → '4'") == 2
    assert texts.count("SET item.1 3 → True") == 2
    assert "item.1=3" in texts
    assert ax.get_title() == counterexample.message
    assert len(ax.patches) == counterexample.commands  # one box per round trip
    plt.close(ax.figure)


def test_a_run_without_states_has_no_store_lane() -> None:
    finding = find_race(Load(stock.reserve_naive, setup=stock.setup, invariant=stock.check),
                        minimise_counterexample=True)
    assert finding.run is not None
    _, ax = plt.subplots()
    assert plot_swimlanes(finding.run, ax=ax, title="as found") is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"client {i}" for i in range(10)]
    assert ax.get_title() == "as found"
    plt.close(ax.figure)


def test_importing_queuesim_and_the_race_package_does_not_import_matplotlib() -> None:
    code = "import sys, queuesim, queuesim.race; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_race_package_exports_a_sorted_complete_all() -> None:
    import types

    import queuesim.race

    public = {name for name, value in vars(queuesim.race).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    order = sorted(queuesim.race.__all__, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert queuesim.race.__all__ == order
    assert set(queuesim.race.__all__) == public
