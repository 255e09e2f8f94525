"""Execute notebooks in place, the way nbval will check them.

Usage: ``python notebooks/execute.py [NOTEBOOK ...]`` (default: every
``notebooks/*.ipynb``); ``make notebooks`` runs it for all of them.

The kernel is this interpreter (the project's venv), not whatever ``python3``
kernelspec happens to be installed. Matplotlib draws with the inline backend, so
every figure is stored in the notebook as an ``image/png`` output (nbval compares
only the text beside it, ``<Figure size …>``); ``REDIS_URL`` is removed from the
kernel's environment, so committed outputs always come from the fresh, seeded
embedded store. Widgets are not stored (neither their state nor their placeholder
outputs, whose model ids change on every run): a widget comes alive when its cell
runs, and the static figure beside it is what a reader without a kernel sees.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class CurrentInterpreterKernels(KernelSpecManager):
    """Every kernel name resolves to an ipykernel running on ``sys.executable``."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        """The spec of an ipykernel on this interpreter, whatever ``kernel_name`` says."""
        spec = ipykernel.kernelspec.get_kernel_dict()
        return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)


#: Matplotlib's backend in a kernel: figures become image/png outputs of their cell.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def kernel_environment() -> dict[str, str]:
    """This process's environment without REDIS_URL, with matplotlib's inline backend."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["MPLBACKEND"] = INLINE_BACKEND
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # keeps the debugger's frozen-modules note off stderr
    return env


def execute(path: Path, timeout: int = 300) -> None:
    """Run every cell of ``path`` in a fresh kernel and write the outputs back into the file."""
    nb: Any = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentInterpreterKernels())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute(env=kernel_environment(), cwd=str(path.parent))
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in coalesce_streams(cell.outputs) if not is_widget_view(o)]
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


def is_widget_view(output: Any) -> bool:
    """A live widget's placeholder: without its state it shows nothing, and its model id changes every run."""
    return "application/vnd.jupyter.widget-view+json" in output.get("data", {})


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """Merge consecutive stdout (or stderr) chunks, which arrive split at timing-dependent points."""
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str] | None = None) -> int:
    """Execute the notebooks named in ``argv`` (default: all in notebooks/); returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path}", flush=True)  # noqa: T201 - progress for the person running it
        started = time.perf_counter()
        execute(path)
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)  # noqa: T201 - each must stay under ~30 s
    return 0


if __name__ == "__main__":
    sys.exit(main())
