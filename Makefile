# Two entry points (see README.md): `make demo` and `make test`.
# Both create or reuse the virtualenv at .venv/ by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.py | sha256sum | cut -c1-12)
DEMO_DIR ?= out/demo

.PHONY: demo warm-start compare test test-all test-interop bench venv clean

venv: $(STAMP)

$(STAMP): setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[beam,test]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: venv
	$(PY) -m official_ext.demo --output_dir=$(DEMO_DIR)

# Import a released encoder (one the repo makes itself, published in the
# Hugging Face layout), continue pretraining it, fine-tune (README).
warm-start: venv
	$(PY) -m official_ext.warm_start_demo --output_dir=out/warm_start

# Compare pretraining objectives (README "Comparing objectives"), e.g.
# make compare COMPARE=olfmlm_table2_mini
COMPARE ?= teams_electra_bert_mini
COMPARE_DIR ?= out/compare/$(COMPARE)
compare: venv
	$(PY) -m official_ext.compare --gin_file=gin/compare/$(COMPARE).gin \
	  --output_dir=$(COMPARE_DIR)

test: venv
	$(PY) -m pytest -q tests

test-all: venv
	$(PY) -m pytest -q --runslow tests

# Interchange against the real transformers (PyTorch CPU): installs the
# pinned `interop` extra into .venv, then runs the tests that need it.
test-interop: venv
	$(PY) -m pip install -q -e ".[interop]"
	$(PY) -m pytest -q -rs tests/official_ext/interchange/interop_test.py

bench: venv
	$(PY) bench/data_builder_bench.py

clean:
	rm -rf out
