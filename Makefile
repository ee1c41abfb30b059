# Two commands for users: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck migrations-check format bench eval validate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "mlops-bot needs Python 3.11+ (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/mlops-bot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) --no-print-directory migrations-check
	$(BIN)/python -m pytest -q

# The inner loop: no subprocess-spawning tests (benchmarks smoke, SIGKILL recovery).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -x

typecheck: $(STAMP)
	$(BIN)/mypy

# `alembic check`: schema.py and the revisions agree (a fresh SQLite database at head).
migrations-check: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		DATABASE_URL="sqlite:///$$tmp/check.db" $(BIN)/alembic -c alembic.ini upgrade head && \
		DATABASE_URL="sqlite:///$$tmp/check.db" $(BIN)/alembic -c alembic.ini check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(STAMP)
	$(BIN)/mlops-bot validate

bench: $(STAMP)
	$(BIN)/python -m bench

eval: $(STAMP)
	$(BIN)/python -m tests.eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
