# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	touch $@

demo: $(VENV)/.installed
	$(BIN)/kommunbudget demo --force

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports  # layers and no import circles (pyproject.toml [tool.importlinter])
	$(BIN)/python -m benchmarks.run --quick  # so the benchmark cannot rot; no thresholds
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.run --write-doc

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
