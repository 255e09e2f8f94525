"""``make lab``: Jupyter refuses root unless told, so the Makefile tells it, as root only; and the line runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def lab_line(user_id: int) -> str:
    """The command ``make lab`` would run for a user of that id (make -n: nothing runs)."""
    # under `make test` this is a sub-make: without its parent's variables, and no "Entering directory" lines
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    out = subprocess.run(["make", "-n", "--no-print-directory", "lab", f"USER_ID={user_id}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return " ".join(out.strip().splitlines()[-1].split())


def test_lab_allows_root_for_root_only() -> None:
    assert lab_line(0) == "cd notebooks && ../.venv/bin/jupyter lab --allow-root 00_start_here.ipynb"
    assert lab_line(1000) == "cd notebooks && ../.venv/bin/jupyter lab 00_start_here.ipynb"


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="needs the project's .venv")
def test_the_lab_line_starts_jupyterlab_for_this_user() -> None:
    line = lab_line(os.getuid()) + " --no-browser --ServerApp.port=0 --IdentityProvider.token=test"
    server = subprocess.Popen(line, shell=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    seen = []
    try:
        assert server.stderr is not None
        for text in server.stderr:  # until it serves, or it ends (the root refusal ends it at once)
            seen.append(text)
            if "http://127.0.0.1:" in text:
                break
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
    log = "".join(seen)
    assert "Running as root is not recommended" not in log
    assert "http://127.0.0.1:" in log, log[-2000:]
