"""queuesim.sim: the same conversations in SimPy virtual time, queueing theory, output analysis, plots.

The only package that imports SimPy. ``import queuesim`` does not import it;
``import queuesim.sim`` does (matplotlib is never imported here: the plot
functions draw on the ``Axes`` they are given).
"""

from queuesim.sim.baseline import MinimalResult, simulate_mmc_minimal
from queuesim.sim.clock import SimClock
from queuesim.sim.distributions import (
    DISTRIBUTION_KINDS,
    Deterministic,
    Distribution,
    Exponential,
    LogNormal,
    distribution,
)
from queuesim.sim.driver import BLOCKING_COMMANDS, DriverStats, SimDriver
from queuesim.sim.executor import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from queuesim.sim.fast_store import FastClient, FastStore
from queuesim.sim.network import Network
from queuesim.sim.plots import (
    LaneEvent,
    plot_coverage,
    plot_grouped_bars,
    plot_race_sweep,
    plot_series,
    plot_sim_vs_theory,
    plot_swimlanes,
    plot_wait_tail,
    plot_warmup,
)
from queuesim.sim.server import Server, step_commands
from queuesim.sim.stats import (
    Summary,
    TimeAverage,
    batch_means,
    coverage,
    paired_difference,
    percentile,
    percentiles,
    replications_needed,
    settling_index,
    summarize,
    t_quantile,
    time_weighted_mean,
    values_after,
    welch_average,
    wilson_interval,
)
from queuesim.sim.store import SimStore
from queuesim.sim.streams import RandomStreams, Stream
from queuesim.sim.theory import (
    QueueMetrics,
    allen_cunneen,
    erlang_b,
    erlang_c,
    kingman,
    little_gap,
    littles_law,
    md1,
    mg1,
    mm1,
    mmc,
    mmc_wait_tail,
    mmck,
    mmck_probabilities,
)

__all__ = [
    "BLOCKING_COMMANDS",
    "DISTRIBUTION_KINDS",
    "DaskExecutor",
    "Deterministic",
    "Distribution",
    "DriverStats",
    "Executor",
    "Exponential",
    "FastClient",
    "FastStore",
    "LaneEvent",
    "LogNormal",
    "MinimalResult",
    "Network",
    "ProcessExecutor",
    "QueueMetrics",
    "RandomStreams",
    "SerialExecutor",
    "Server",
    "SimClock",
    "SimDriver",
    "SimStore",
    "Stream",
    "Summary",
    "TimeAverage",
    "allen_cunneen",
    "batch_means",
    "coverage",
    "distribution",
    "erlang_b",
    "erlang_c",
    "kingman",
    "little_gap",
    "littles_law",
    "md1",
    "mg1",
    "mm1",
    "mmc",
    "mmc_wait_tail",
    "mmck",
    "mmck_probabilities",
    "paired_difference",
    "percentile",
    "percentiles",
    "plot_coverage",
    "plot_grouped_bars",
    "plot_race_sweep",
    "plot_series",
    "plot_sim_vs_theory",
    "plot_swimlanes",
    "plot_wait_tail",
    "plot_warmup",
    "replications_needed",
    "settling_index",
    "simulate_mmc_minimal",
    "step_commands",
    "summarize",
    "t_quantile",
    "time_weighted_mean",
    "values_after",
    "welch_average",
    "wilson_interval",
]
