# Two commands on a fresh Linux or macOS machine with Python 3.11+:
#   make demo   installs into .venv and opens the app on a sample download, with a
#               local SCIM server to upload to (user-editor --demo)
#   make test   installs into .venv and runs every test (Qt offscreen)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test build-test check benchmark screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "User Editor needs Python 3.11 or newer; this is " + sys.version.split()[0] + ".")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Each checks that Qt starts on the platform it is about to use (the window's own for the
# demo: xcb, wayland, ...; offscreen for the tests) and names the missing system libraries.
demo: $(STAMP)
	@$(BIN)/python scripts/check_qt.py
	$(BIN)/user-editor --demo

test: $(STAMP)
	@$(BIN)/python scripts/check_qt.py --platform offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# Builds the one-folder app (dist/User Editor/) and tests the frozen program: its size, its
# `check --json` against the source's, and its window offscreen. Takes about three minutes.
build-test: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[build]'
	@$(BIN)/python scripts/check_qt.py --platform offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/build_app.py

check: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check desktop_app tests benchmarks scripts
	$(BIN)/mypy desktop_app

# Every figure beside its plain-library baseline, at 100,000 and 1,048,574 rows, in one table
# (about an hour, at low priority; the workbooks are cached in /tmp/bench-cache). Options go
# in BENCH_ARGS, e.g. BENCH_ARGS="--sizes 100k --upload --markdown table.md".
benchmark: $(STAMP)
	QT_QPA_PLATFORM=offscreen nice -n 10 $(BIN)/python benchmarks/bench_all.py $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info
