# The targets a newcomer needs; each creates the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: train verify test lint lab notebooks docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

train: $(VENV)/.installed  ## train d2l's MLP on scikit-learn's digits (the default, the shipped config digits_mlp1)
	$(BIN)/handgrad train

verify: $(VENV)/.installed  ## check every hand gradient against autodiff and finite differences
	$(BIN)/handgrad verify

test: $(VENV)/.installed  ## run the test suite on all cores
	$(BIN)/python -m pytest -n auto -q

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

$(VENV)/.docs: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

# Sphinx with myst-nb: the README as the landing page, the notebooks with their committed outputs
# (not re-run), the API reference from the docstrings, MathJax served from the site; any warning fails.
docs: $(VENV)/.docs  ## build the documentation site into site/ (offline)
	rm -rf site
	$(BIN)/sphinx-build -E -W --keep-going -q -b html -c docs -d docs/_build/doctrees . site

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis site site-screenshots docs/_build
