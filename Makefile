# The README's commands; .ci/run calls `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck types pytest demo bench docs matrix clean test-netbox

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# What mypy --strict and pyright (strict mode) infer on models declared with no
# annotations: every assert_type of tests/typing/typed_example.py must hold.
types: $(STAMP)
	$(BIN)/mypy --strict tests/typing/typed_example.py
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(BIN)/pyright --pythonpath $(BIN)/python tests/typing/typed_example.py

pytest: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

# make demo WORKERS=4: four storefront processes sharing a Redis the demo starts.
demo: $(STAMP)
	WORKERS=$(WORKERS) $(BIN)/python example_project/demo.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

test: lint typecheck types docs pytest

# The suite against a real NetBox (tests/netbox/: README there); not part of `make test`.
test-netbox: $(STAMP)
	DJANGO_API_ORM_NETBOX=1 $(BIN)/pytest tests/netbox

# The whole suite on each Python/Django/httpx combination, one venv each under
# .venvs/ (see .ci/matrix); .ci/run calls it after `make test`.
# Some only: make matrix MATRIX="3.11-5.2-0.28 3.13-6-0.29"
matrix:
	$(PY) .ci/matrix $(MATRIX)

clean:
	rm -rf $(VENV) .venvs .pytest_cache .mypy_cache .ruff_cache docs/_build
