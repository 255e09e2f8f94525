# The two commands of the README: `make run` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest notebooks lab bench clean

run: $(STAMP)
	$(BIN)/queuesim demo

test: lint typecheck pytest

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "queuesim needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,fast]"
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check queuesim tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Unit and integration tests plus every notebook under nbval, in one run.
pytest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg $(PYTEST_ARGS)

notebooks: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python notebooks/execute.py

# JupyterLab on notebooks/, opened at the way in (the kernel is this .venv's Python).
lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab 00_start_here.ipynb

bench: $(STAMP)
	$(BIN)/queuesim bench queue $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache out
