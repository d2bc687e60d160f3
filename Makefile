# Two commands do all the set-up: `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: serve test install install-test model bench clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[postgres]'
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) -e '.[test]'
	touch $@

install: $(VENV)/.base
install-test: $(VENV)/.test

serve: $(VENV)/.base  ## start the server on embedded defaults (SQLite file, shipped model)
	$(VENV)/bin/policywarden serve $(ARGS)

test: $(VENV)/.test  ## run the whole test suite
	$(PY) -m pytest $(ARGS)

model: $(VENV)/.test  ## rebuild the shipped model from ../shared/data (CPU, ~10 min)
	$(PY) training/build_model.py

bench: $(VENV)/.test  ## accuracy and speed benchmarks, JSON under benchmarks/results/
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
