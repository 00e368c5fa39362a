# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-xlwings-lowest bench clean

# The lowest xlwings in pyproject.toml's range; its contract test runs in CI (.ci/run).
XLWINGS_LOWEST := 0.30.0

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

# The UDF contract test again with the lowest supported xlwings (issue 12): installed beside the
# venv's own xlwings (--target, no dependencies) and put first on the path.
test-xlwings-lowest: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(VENV)/xlwings-$(XLWINGS_LOWEST) xlwings==$(XLWINGS_LOWEST)
	PYTHONPATH=$(VENV)/xlwings-$(XLWINGS_LOWEST) $(BIN)/python -m pytest -p no:cacheprovider tests/test_udf_contract.py

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.run --write-doc

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
