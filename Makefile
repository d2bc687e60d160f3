# Two commands do all the set-up: `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: serve test install install-test model encoder context bench clean

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

# The encoder needs PyTorch, kept out of the run-time install in a venv of its own.
TRAIN_VENV := .venv-train
$(TRAIN_VENV)/.ok: pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0 -e '.[train-encoder]'
	touch $@

# A 3-layer encoder distilled from this one (build_encoder.py --layers 3 --teacher DIR) reads
# twice as fast but flags more ordinary answers: measured, not shipped (MODEL_CARD.md).
encoder: $(TRAIN_VENV)/.ok  ## fine-tune the encoder on ../shared/data and calibrate the cascade (CPU, ~60 min)
	HF_HUB_OFFLINE=1 $(TRAIN_VENV)/bin/python training/build_encoder.py $(ARGS)
	$(TRAIN_VENV)/bin/python training/calibrate_cascade.py
	$(TRAIN_VENV)/bin/python training/calibrate_served.py
	$(TRAIN_VENV)/bin/python training/calibrate_fine.py
	$(TRAIN_VENV)/bin/python training/calibrate_unattributed.py

context: $(VENV)/.test  ## rebuild the compliance model that judges answers with their prompt (CPU, ~3 min)
	$(PY) training/build_context.py

bench: $(VENV)/.test  ## accuracy and speed benchmarks, JSON under benchmarks/results/
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(TRAIN_VENV) .pytest_cache
