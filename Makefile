# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-min test-xlwings-lowest bench clean

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

# The lower ends of the dependency ranges (.ci/min-requirements.txt, pinned to pyproject.toml's
# lower bounds by tests/test_packaging.py) in a second venv, on a fast subset of the suite.
MINVENV := .venv-min
MIN_TESTS := tests/test_reader.py tests/test_xlsx_writer.py tests/test_refresh.py \
	tests/test_ledger_io.py tests/test_import_utfall.py tests/test_cli.py tests/test_udfs.py \
	tests/test_money.py tests/test_packaging.py tests/test_excel_kontroll.py
$(MINVENV)/.installed: pyproject.toml .ci/min-requirements.txt
	$(PYTHON) -m venv $(MINVENV)
	$(MINVENV)/bin/python -m pip install --quiet -r .ci/min-requirements.txt \
		pytest hypothesis jsonschema XlsxWriter msoffcrypto-tool 'setuptools>=77'
	$(MINVENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

test-min: $(MINVENV)/.installed
	$(MINVENV)/bin/python -m pytest -p no:cacheprovider $(MIN_TESTS)

# The UDF contract test, and the buttons through real xlwings, again with the lowest supported
# xlwings (issue 12): installed beside the venv's own xlwings (--target, no dependencies) and put
# first on the path.
test-xlwings-lowest: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(VENV)/xlwings-$(XLWINGS_LOWEST) xlwings==$(XLWINGS_LOWEST)
	PYTHONPATH=$(VENV)/xlwings-$(XLWINGS_LOWEST) $(BIN)/python -m pytest -p no:cacheprovider tests/test_udf_contract.py
	PYTHONPATH=$(VENV)/xlwings-$(XLWINGS_LOWEST) $(BIN)/python -m pytest -p no:cacheprovider -k xlwings tests/test_buttons.py tests/test_excel_adapter.py

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.run --write-doc

clean:
	rm -rf $(VENV) $(MINVENV) build *.egg-info .pytest_cache
