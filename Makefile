# The two commands a newcomer needs: `make run` and `make test`. Each sets up its own
# virtual environment first; nothing else is needed beyond Python 3.11+ and, for the tests,
# the PostgreSQL server binaries of the machine image.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck pytest browser bench-import bench-cohort bench-totals clean

$(STAMP): pyproject.toml plugins/*/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]' $(addprefix -e ,$(wildcard plugins/*/))
	touch $(STAMP)

## Start the service on the embedded SQLite database, with demo data, at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/connecting-families demo
	$(BIN)/connecting-families serve

## Lint, format check, type check, and the whole test suite on SQLite and PostgreSQL
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests plugins bench
	$(BIN)/ruff format --check src tests plugins bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser
	$(BIN)/pytest

# The browser tests drive Debian's Chromium; install it (and its driver) when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || $(SUDO) apt-get install -y -q chromium chromium-driver \
		|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; }

## Benchmarks are separate from the test suite: they take minutes and want a quiet machine.
bench-import: $(STAMP)
	$(BIN)/python bench/import_attendance.py

bench-cohort: $(STAMP)
	$(BIN)/python bench/evaluate_cohort.py --families 100000 --workers 2

bench-totals: $(STAMP)
	$(BIN)/python bench/programme_totals.py --families 300000

clean:
	rm -rf $(VENV) var screenshots .pytest_cache .mypy_cache .ruff_cache
