# The README's two commands: `make demo` and `make test`. Everything else is a step they share.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	test -x $(UV) || $(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet -p $(BIN)/python -e '.[dev]'
	command -v tesseract >/dev/null || (apt-get update -qq && apt-get install -y -qq tesseract-ocr)
	test -x /usr/bin/chromium && command -v chromedriver >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)  # review UI browser tests
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)  # compose schema (tests/test_compose.py)
	touch $(STAMP)

install: $(STAMP)

## Set up, seed the demo trust, run one monitoring cycle through Airflow against the sandbox.
demo: $(STAMP)
	$(BIN)/postwarden demo

## Set up and run every test (SQLite and the machine's PostgreSQL), plus the static checks.
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff, the layer contracts of docs/architecture.md, and the type checker.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .postwarden
