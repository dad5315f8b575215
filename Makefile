# Two entry points for a fresh machine:
#   make demo  - install pprl and run the end-to-end example on shipped data
#   make test  - install pprl with its test extras, check the import contracts, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

# Benchmarks (minutes, not part of the tests): clkhash + anonlink go into their own venv.
bench: $(STAMP)
	bash benchmarks/baselines.sh
	$(BIN)/python benchmarks/febrl4.py
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf $(VENV) build *.egg-info demo-out
