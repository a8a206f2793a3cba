# The targets a newcomer needs; each creates the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: train verify test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

train: $(VENV)/.installed  ## train d2l's MLP on the embedded digits data (configs/digits_mlp1.toml)
	$(BIN)/handgrad train configs/digits_mlp1.toml

verify: $(VENV)/.installed  ## check every hand gradient against autodiff and finite differences
	$(BIN)/handgrad verify

test: $(VENV)/.installed  ## run the test suite on all cores
	$(BIN)/python -m pytest -n auto

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
