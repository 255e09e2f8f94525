# The two commands of the README: `make run` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes: `make run` installs
# what the demo needs (the queue and the simulation: queuesim[sim]), `make test` everything else too
# (queuesim[dev]: the web apps, the notebooks, the book, the test and lint tools).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-stamp

.PHONY: install run test lint typecheck pytest notebooks practice lab book bench clean

run: $(RUN_STAMP)
	$(BIN)/queuesim demo

test: lint typecheck pytest

# .venv with every extra (the web apps, the notebooks, the practice checks, the test tools), nothing run.
install: $(STAMP)

define install
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "queuesim needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(1)]"
endef

$(RUN_STAMP): pyproject.toml
	$(call install,sim)
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	$(call install,dev)
	@touch $(STAMP) $(RUN_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check queuesim tests bench docs

typecheck: $(STAMP)
	$(BIN)/mypy

# Unit and integration tests plus every notebook under nbval, in one run
# (notebooks/conftest.py gives the notebooks' kernels matplotlib's inline backend).
# notebooks/practice/ is left to nbval: its notebooks are for the learner to fill in, committed without
# outputs; tests/practice/test_notebooks.py runs them (stubs unfilled, then solved) and checks what they say.
pytest: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --ignore=notebooks/practice --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg $(PYTEST_ARGS)

# Re-execute the notebooks in place (all, or NOTEBOOKS="notebooks/a.ipynb ..."), figures included.
notebooks: $(STAMP)
	$(BIN)/python notebooks/execute.py $(NOTEBOOKS)

# The practice notebooks (notebooks/practice/taskNN_<name>.ipynb, one per solution notebook): otter-grader
# master notebooks built from queuesim.practice (statements, stubs, reference solutions, hints) into
# notebooks/practice/masters/, then `otter assign` writes the learner's version of each. Same bytes on every run.
practice: $(STAMP)
	$(BIN)/python notebooks/practice/build.py

# JupyterLab on notebooks/, opened at the way in (the kernel is this .venv's Python).
# Jupyter refuses to run as root unless told: as root (a container), --allow-root.
USER_ID ?= $(shell id -u 2>/dev/null)
LAB_ROOT := $(if $(filter 0,$(USER_ID)),--allow-root)
lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(LAB_ROOT) 00_start_here.ipynb

# The book: docs/ and the notebooks with their committed outputs, as a static site in build/book
# (open build/book/index.html). Warnings are errors; tests/book builds it again and reads it in Chromium.
book: $(STAMP)
	$(BIN)/python -m sphinx -b html -c docs -q -W --keep-going . build/book
	@echo "the book: build/book/index.html"

bench: $(STAMP)
	$(BIN)/queuesim bench queue $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache out build/book
