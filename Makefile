# Two commands do all the set-up: `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: serve test install install-test model teacher encoder words pairs context bench clean

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

# The shipped encoder is distilled: a 6-layer teacher (all-MiniLM-L6-v2 fine-tuned, kept out of
# the package) and 3 layers trained on its probabilities and the labels, with ordinary answers
# as negatives. The teacher is built once; `make encoder` reuses it.
TEACHER := training/out/teacher
$(TEACHER)/encoder/model.json: | $(TRAIN_VENV)/.ok
	HF_HUB_OFFLINE=1 $(TRAIN_VENV)/bin/python training/build_encoder.py --out $(TEACHER)/encoder --version pw-minilm6-teacher
teacher: $(TEACHER)/encoder/model.json  ## fine-tune the 6-layer teacher on ../shared/data (CPU, ~55 min)

encoder: $(TRAIN_VENV)/.ok $(TEACHER)/encoder/model.json  ## distil the shipped 3-layer encoder and calibrate the cascade (CPU, ~60 min after the teacher)
	HF_HUB_OFFLINE=1 $(TRAIN_VENV)/bin/python training/build_encoder.py --layers 3 --epochs 3 --teacher $(TEACHER)/encoder \
		--extra-neg-per-source 400 --answers-per-source 600 --reduce-range $(ARGS)
	$(TRAIN_VENV)/bin/python training/calibrate_cascade.py
	$(TRAIN_VENV)/bin/python training/calibrate_served.py
	$(TRAIN_VENV)/bin/python training/calibrate_fine.py
	$(TRAIN_VENV)/bin/python training/calibrate_unattributed.py
	$(TRAIN_VENV)/bin/python training/self_test.py  # known answers the encoder checks at every load
	$(TRAIN_VENV)/bin/python training/build_context.py  # its support is chosen with the shipped encoder

words: $(VENV)/.test  ## relist the dictionary words of the training texts that BERT's vocabulary lacks (after training/build_dataset.py; needs `apt-get install wamerican`, ~10 s)
	$(PY) training/build_wordlist.py --corpus

pairs: $(VENV)/.test  ## recount the word pairs that read disemvowelled text (after `make model` or training/build_dataset.py, ~15 s)
	$(PY) training/build_pairs.py

context: $(VENV)/.test  ## rebuild the compliance model that judges answers with their prompt (CPU, ~3 min)
	$(PY) training/build_context.py

bench: $(VENV)/.test  ## accuracy and speed benchmarks, JSON under benchmarks/results/
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(TRAIN_VENV) .pytest_cache
