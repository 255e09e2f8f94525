"""The README's commands exist: every ``make`` target it names is in the Makefile, every extra in pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_make_target_the_readme_names_exists() -> None:
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert {"run", "test", "lab", "book", "notebooks"} <= named  # the newcomer's commands are all there
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    assert named - targets == set()


def test_every_extra_the_readme_installs_exists() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    named = set(re.findall(r'"\.\[([a-z]+)\]"', README)) | set(re.findall(r"queuesim\[([a-z]+)\]", README))
    assert {"dev", "sim"} <= named
    assert named - set(project["optional-dependencies"]) == set()


def test_the_readme_says_what_needs_the_network() -> None:
    section = README[README.index("## Offline, and what needs the network"):]
    section = section[:section.index("\n## ", 1)]
    assert "PIP_NO_INDEX=1 PIP_FIND_LINKS=" in section
    assert "pip download -d wheelhouse" in section
