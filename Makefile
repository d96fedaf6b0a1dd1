# The two commands a newcomer needs: `make run` and `make test`. Each sets up its own
# virtual environment first; nothing else is needed beyond Python 3.11+ and, for the tests,
# the PostgreSQL server binaries of the machine image.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck pytest browser bench wrk soak fuzz clean govuk-assets bytecode

$(STAMP): pyproject.toml plugins/*/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]' $(addprefix -e ,$(wildcard plugins/*/))
	touch $(STAMP)

# An editable install leaves our own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is
# set (this machine image sets it) every process compiled them again at start: about half a
# second of each `serve`, and of each of the suite's servers. A wheel install compiles at
# install time; this does the same, and recompiles only what changed since.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src plugins migrations

## Start the service on the embedded SQLite database, with demo data, at http://127.0.0.1:8000
run: $(STAMP) bytecode
	$(BIN)/connecting-families demo
	$(BIN)/connecting-families serve

## Lint, format check, type check, and the whole test suite on SQLite and PostgreSQL
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests plugins bench
	$(BIN)/ruff format --check src tests plugins bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs in parallel (pytest-xdist, a worker per core; `make test WORKERS=4` for
# more): each worker starts its own PostgreSQL cluster, on its own port and folder, and its own
# servers on free ports. The tests marked `alone` promise a speed (a restart under 2 s, a
# header deadline, memory growth), so they run afterwards, by themselves; both parts always run.
WORKERS ?= auto
pytest: $(STAMP) bytecode browser
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup -m "not alone" --durations=30; parallel=$$?; \
	$(BIN)/pytest -p no:xdist -m alone --durations=5; alone=$$?; \
	test $$parallel -eq 0 && test $$alone -eq 0

# The browser tests drive Debian's Chromium; install it (and its driver) when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || $(SUDO) apt-get install -y -q chromium chromium-driver \
		|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; }

## The national-scale benchmark (issue 10): separate from the test suite; it takes a while the
## first time (it builds and keeps its datasets in var/bench/) and wants a quiet machine.
bench: $(STAMP) wrk
	$(BIN)/python bench/national.py

## The long fuzz (issue 11): the generated tests of the suite with many more examples: the API
## for every role, the casework-to-claims model, the CSV importer. About 30 minutes.
fuzz: $(STAMP)
	CF_FUZZ_EXAMPLES=200 $(BIN)/pytest -p no:cacheprovider -rP tests/test_api_schema.py -k generated
	CF_FUZZ_EXAMPLES=100 CF_FUZZ_STEPS=40 $(BIN)/pytest -p no:cacheprovider -s tests/test_model_stateful.py -k whole_model
	CF_FUZZ_EXAMPLES=3000 $(BIN)/pytest -p no:cacheprovider tests/test_import_fuzz.py -k any_

## The soak test (issue 11): ten minutes of mixed key-worker and manager traffic against two
## workers on loopback; fails on any error or on memory growth. `make soak MINUTES=1` for a look.
MINUTES ?= 10
soak: $(STAMP)
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

# The benchmark's load generator is Debian's wrk; install it when it is missing.
wrk:
	@command -v wrk >/dev/null || $(SUDO) apt-get install -y -q wrk \
		|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; }

## Rebuild the vendored GOV.UK Frontend (web/static/govuk/) from its npm package; needs npm.
## Never run by `run` or `test`: the result is committed.
govuk-assets:
	sh src/connecting_families/web/govuk_frontend/build.sh

clean:
	rm -rf $(VENV) var screenshots .pytest_cache .mypy_cache .ruff_cache
