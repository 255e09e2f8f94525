"""Where simulation runs execute: in this process, in parallel processes, or on a Dask cluster.

A sweep is a list of *tasks*: zero-argument callables, each one replication
(``functools.partial(run_queue_replication, config, seed, r)``). An executor
runs them and returns their results **in the tasks' order**, whatever order
they finish in, so a summary computed from them is the same, bit for bit, as
from a serial run: each replication's random streams depend on the root seed
and its replication number only (:class:`~queuesim.sim.streams.RandomStreams`),
never on the process that runs it or on what ran there before.

* :class:`SerialExecutor` runs them one after another, here;
* :class:`ProcessExecutor` runs them on ``processes`` worker processes of this
  machine (``forkserver`` on POSIX: workers start from a clean process that has
  imported the simulation once);
* :class:`DaskExecutor` runs them on a ``dask.distributed`` cluster (the ``dask``
  extra), or on a local one it starts (``"local"``), for sweeps larger than one
  machine.

Tasks for other processes must pickle (module-level functions and
``functools.partial`` of them; Dask also takes lambdas). ``progress`` wraps the
iterable of completions, as ``tqdm`` does, so one bar follows every task.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "Progress",
    "SerialExecutor",
    "available_cpus",
    "make_executor",
    "using_executor",
]

R = TypeVar("R")

#: Wraps the iterable of completed tasks to show progress (``tqdm`` fits).
Progress = Callable[[Iterable[Any]], Iterable[Any]]


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS says, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Completions(Generic[R]):
    """The (index, result) pairs of tasks as they finish; ``len`` is the number of tasks."""

    def __init__(self, count: int, pairs: Iterator[tuple[int, R]]) -> None:
        self._count = count
        self._pairs = pairs

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[int, R]]:
        return self._pairs


class Executor(ABC):
    """Runs tasks and returns their results in order (see the module docstring).

    Executors that start processes or connect to a cluster do it on first use and
    keep them for later calls until :meth:`close` (or the end of a ``with`` block).
    """

    #: how many tasks run at once (1 for the serial executor)
    parallelism: int = 1

    @abstractmethod
    def completions(self, tasks: Sequence[Callable[[], R]]) -> Iterable[tuple[int, R]]:
        """Run ``tasks``; yield ``(index, result)`` as each finishes (sized: ``len`` is the number of tasks).

        The first task that raises stops the run: the tasks not yet started are
        cancelled and its exception is raised.
        """

    def run(self, tasks: Sequence[Callable[[], R]], progress: Progress | None = None) -> list[R]:
        """Run ``tasks`` and return their results in the tasks' order."""
        tasks = list(tasks)
        results: list[Any] = [None] * len(tasks)
        done: Iterable[tuple[int, R]] = self.completions(tasks)
        if progress is not None:
            done = progress(done)
        for index, result in done:
            results[index] = result
        return results

    def close(self) -> None:  # noqa: B027 - an executor that holds nothing has nothing to close
        """Stop the processes or leave the cluster this executor started (nothing for the serial one)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every task here, one after another."""

    def __repr__(self) -> str:
        return "<SerialExecutor>"

    def completions(self, tasks: Sequence[Callable[[], R]]) -> Iterable[tuple[int, R]]:
        """Run ``tasks`` in order, here."""
        return _Completions(len(tasks), ((i, task()) for i, task in enumerate(tasks)))


def _call(task: Callable[[], R]) -> R:
    return task()


def _check_picklable(tasks: Sequence[Callable[[], Any]]) -> None:
    for task in tasks[:1]:  # the tasks of one sweep are alike: the first tells
        try:
            pickle.dumps(task)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TypeError(
                f"a task must pickle to run in another process ({exc}); use a module-level function or "
                "functools.partial of one (a store factory too)"
            ) from None


class ProcessExecutor(Executor):
    """Runs tasks on ``processes`` worker processes of this machine.

    Args:
        processes: worker processes (default: the CPUs this process may use).
        start_method: how workers start (default ``forkserver`` where it exists, else ``spawn``);
            ``fork`` starts fastest but copies this process's threads' locks.

    Raises:
        ValueError: ``processes`` below 1, or an unknown start method.
    """

    def __init__(self, processes: int | None = None, *, start_method: str | None = None) -> None:
        count = available_cpus() if processes is None else processes
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"processes must be an int >= 1, got {processes!r}")
        methods = multiprocessing.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        if method not in methods:
            raise ValueError(f"unknown start method {method!r}; this platform has {', '.join(methods)}")
        self.parallelism = count
        self.start_method = method
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"<ProcessExecutor processes={self.parallelism} {self.start_method}>"

    def _workers(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                context.set_forkserver_preload(["queuesim.sim"])  # imported once, by the server
            self._pool = concurrent.futures.ProcessPoolExecutor(self.parallelism, mp_context=context)
        return self._pool

    def completions(self, tasks: Sequence[Callable[[], R]]) -> Iterable[tuple[int, R]]:
        """Run ``tasks`` on the worker processes (started now if need be)."""
        _check_picklable(tasks)
        pool = self._workers()
        futures = {pool.submit(_call, task): i for i, task in enumerate(tasks)}
        return _Completions(len(tasks), self._collect(futures))

    @staticmethod
    def _collect(futures: dict[concurrent.futures.Future[Any], int]) -> Iterator[tuple[int, Any]]:
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        finally:  # a task failed, or the caller stopped early (Ctrl-C): start nothing more
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Stop the worker processes (tasks still queued are cancelled)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Runs tasks on a ``dask.distributed`` cluster (needs the ``dask`` extra: ``pip install queuesim[dask]``).

    Args:
        address: the scheduler's address (``"tcp://10.0.0.5:8786"``), ``"local"`` for
            a cluster of ``processes`` worker processes started on this machine, or
            a ``distributed.Client`` (left open by :meth:`close`).
        processes: workers of a local cluster (default: the CPUs this process may use).
        timeout: seconds to reach the scheduler before ``OSError`` (on first use).

    Raises:
        ImportError: ``dask.distributed`` is not installed (the message says how to install it).
        ValueError: an address that names no scheduler, or ``processes`` below 1.
    """

    def __init__(self, address: Any = "local", *, processes: int | None = None, timeout: float = 10.0) -> None:
        try:
            import distributed
        except ImportError as exc:
            raise ImportError(
                "the Dask executor needs dask.distributed: pip install 'queuesim[dask]'"
            ) from exc
        count = available_cpus() if processes is None else processes
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"processes must be an int >= 1, got {processes!r}")
        if isinstance(address, str) and address != "local":
            _check_address(address)
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.address = address
        self.timeout = timeout
        self._processes = count
        self._client: Any = address if isinstance(address, distributed.Client) else None
        self._owned: list[Any] = []
        self.parallelism = count

    def __repr__(self) -> str:
        where = self.address if isinstance(self.address, str) else "client"
        return f"<DaskExecutor {where}>"

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (connected, or its local cluster started, on first use)."""
        if self._client is None:
            import logging

            import distributed

            try:
                if self.address == "local":
                    cluster = distributed.LocalCluster(  # on loopback; its web server on a free port
                        n_workers=self._processes, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
                    )
                    self._owned.append(cluster)
                    self._client = distributed.Client(cluster, timeout=self.timeout)
                else:
                    self._client = distributed.Client(self.address, timeout=self.timeout)
            except BaseException:
                self.close()
                raise
            self._owned.insert(0, self._client)
            workers = self._client.scheduler_info().get("workers", {})
            self.parallelism = max(1, sum(w.get("nthreads", 1) for w in workers.values())) if workers else 1
        return self._client

    def completions(self, tasks: Sequence[Callable[[], R]]) -> Iterable[tuple[int, R]]:
        """Run ``tasks`` on the cluster's workers."""
        import distributed

        client = self.client
        futures = client.map(_call, list(tasks), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}

        def collect() -> Iterator[tuple[int, Any]]:
            try:
                for future, result in distributed.as_completed(futures, with_results=True):
                    yield index[future.key], result
            finally:
                client.cancel(futures)

        return _Completions(len(tasks), collect())

    def close(self) -> None:
        """Leave the cluster (and stop a local one started here)."""
        owned, self._owned = self._owned, []
        if owned:
            self._client = None
        for thing in owned:
            thing.close()


def _check_address(address: str) -> None:
    """Refuse, before connecting, an address that cannot name a scheduler (no host or port)."""
    from distributed.comm.addressing import get_address_host_port, normalize_address

    if address.startswith("inproc://"):  # a scheduler in this very process
        return
    try:
        get_address_host_port(normalize_address(address))
    except ValueError as exc:
        raise ValueError(
            f"{address!r} is not a Dask scheduler address ({exc}); give host:port, tcp://host:port or 'local'"
        ) from None


@contextlib.contextmanager
def using_executor(executor: Executor | int | None) -> Iterator[Executor]:
    """The executor the API's ``executor=`` names, for a ``with`` block.

    An :class:`Executor` is used as is (and left open: it is the caller's);
    ``None`` runs here, one task after another; an int is that many processes
    (1: here), started for the block and stopped after it.

    Raises:
        TypeError: anything else.
        ValueError: a number below 1.
    """
    if isinstance(executor, Executor):
        yield executor
        return
    if executor is not None and (isinstance(executor, bool) or not isinstance(executor, int)):
        raise TypeError(f"executor must be an Executor, a number of processes or None, not {type(executor).__name__}")
    made = SerialExecutor() if executor is None else make_executor(processes=executor)
    try:
        yield made
    finally:
        made.close()


def make_executor(processes: int | None = None, dask: str | None = None) -> Executor:
    """The executor the command line asks for: ``--dask ADDRESS``, else ``--processes N`` (1: serial).

    Raises:
        ValueError: ``processes`` below 1, or both given.
        ImportError: ``dask`` given without ``dask.distributed`` installed.
    """
    if dask is not None:
        if processes is not None and dask != "local":
            raise ValueError("--processes sizes a local Dask cluster only (--dask local)")
        return DaskExecutor(dask, processes=processes)
    count = available_cpus() if processes is None else processes
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"processes must be an int >= 1, got {processes!r}")
    return SerialExecutor() if count == 1 else ProcessExecutor(count)
