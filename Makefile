# The targets a newcomer needs; each creates the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: train verify test lint lab notebooks clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

train: $(VENV)/.installed  ## train d2l's MLP on the embedded digits data (configs/digits_mlp1.toml)
	$(BIN)/handgrad train configs/digits_mlp1.toml

verify: $(VENV)/.installed  ## check every hand gradient against autodiff and finite differences
	$(BIN)/handgrad verify

test: $(VENV)/.installed  ## run the test suite on all cores
	$(BIN)/python -m pytest -n auto

lint: $(VENV)/.installed  ## ruff: the lint rules and the formatting of pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(VENV)/.notebooks: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,dev,notebooks]'
	touch $@

lab: $(VENV)/.notebooks  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

notebooks: $(VENV)/.notebooks  ## re-run every notebook in place at full length (refreshes the committed outputs)
	cd notebooks && HANDGRAD_QUICK=0 ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=1800 *.ipynb

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
