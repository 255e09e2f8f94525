"""A learner's file importing a package that is not installed: one line naming the package and how to install
it, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuesim.practice import check
from queuesim.practice.learner import LearnerError, call, missing_package
from queuesim.practice.loader import LoadFailed, load_path

MISSING = "queuesim_no_such_package_xyz"


def test_a_file_importing_a_missing_package_says_which(stubs: Path) -> None:
    path = stubs / "1-redis_op.py"
    path.write_text(path.read_text(encoding="utf-8").replace("import redis\n", f"import redis\nimport {MISSING}\n", 1),
                    encoding="utf-8")
    report = check(2, stubs)
    assert not report.passed
    loads = report.checks[0]
    assert loads.name == "1-redis_op.py loads"
    assert not loads.passed
    assert loads.got is not None
    assert loads.got.startswith(f"1-redis_op.py does not load: it imports {MISSING} (line ")
    assert f"which is not installed here: `python -m pip install {MISSING}`" in loads.got
    assert "\n" not in loads.got
    assert "Traceback" not in loads.message
    assert "ModuleNotFoundError" not in loads.message


def test_the_command_line_says_it_in_one_line(stubs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from queuesim.cli import main

    path = stubs / "9-stock.py"
    wanted = f"from {MISSING}.client import get"
    source = path.read_text(encoding="utf-8").replace("import redis\n", f"import redis\n{wanted}\n", 1)
    path.write_text(source, encoding="utf-8")
    line = source.splitlines().index(wanted) + 1
    assert main(["check", "9-stock", "--path", str(stubs)]) == 1
    out = capsys.readouterr().out
    assert f"got: 9-stock.py does not load: it imports {MISSING} (line {line}), which is not installed here" in out
    assert "Traceback" not in out


def test_an_import_inside_a_function_names_the_package(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(f"def fetch():\n    import {MISSING}\n    return 1\n", encoding="utf-8")
    module = load_path(path)
    with pytest.raises(LearnerError) as raised:
        call(module.fetch, files=[path])
    assert str(raised.value) == (f"fetch imports {MISSING} in mine.py, line 2, which is not installed here: "
                                 f"`python -m pip install {MISSING}` in the environment queuesim runs in, or remove "
                                 "the import")


def test_a_wrong_module_inside_an_installed_package_is_not_a_missing_install(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("import redis.no_such_module\n", encoding="utf-8")
    with pytest.raises(LoadFailed, match=r"raised ModuleNotFoundError: No module named 'redis\.no_such_module'"):
        load_path(path)
    assert missing_package(ModuleNotFoundError("x", name="redis.no_such_module")) is None
    assert missing_package(ModuleNotFoundError("x", name=MISSING)) == MISSING
    assert missing_package(ImportError("cannot import name 'x'")) is None
