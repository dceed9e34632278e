# lettergen — the front door. `make demo` and `make test` each set up everything they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

DEV_STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
DIST := dist

# Debian packages, installed when missing and when run as root (otherwise the apt-get line to
# run is printed): `demo` what writing letters needs, `test` also what the tests use. The list
# and the reasons are in scripts/system-packages.
.PHONY: install demo test lint bench bench-serve clean dist bare-check \
	system-packages-demo system-packages-test

# Everything for development: every Debian package the tests use, and lettergen (editable)
# with its development tools in .venv.
install: system-packages-test $(DEV_STAMP)

system-packages-demo system-packages-test: system-packages-%:
	@scripts/system-packages $*

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(DEV_STAMP) $(RUN_STAMP)

# The main job: import the seed directory text into a scratch file (to show what the importer
# reads), check the shipped, hand-reviewed directories, then write the seed campaign's letters
# and those of the second example, about another sending state (Belarus; letters by post too).
demo: system-packages-demo $(RUN_STAMP)
	$(BIN)/lettergen directory import data/sources/kazakhstan-2002.txt \
	  -o output/kazakhstan-imported.yaml --state KZ --force
	$(BIN)/lettergen missions validate
	$(BIN)/lettergen batch free-zhanusov-2002 --all
	$(BIN)/lettergen batch free-bialiatski-2023 --all --include-no-fax

# Python before 3.11.8 can crash while pytest prints a failure's traceback in its own format
# ("SystemError: AST constructor recursion depth mismatch", CPython gh-106905): there, failures
# are printed as Python prints them.
test: install
	$(BIN)/pytest $$($(BIN)/python -c 'import sys; print("--tb=native" if sys.version_info < (3, 11, 8) else "")')

lint: system-packages-demo $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_fax.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_joint.py
	$(BIN)/python benchmarks/bench_stamp.py
	$(BIN)/python benchmarks/bench_variants.py

# 20 concurrent supporters asking the real server (127.0.0.1) for letters; bounded in count and time.
bench-serve: install
	$(BIN)/python benchmarks/bench_serve.py --preview --letterhead both

# A wheel of lettergen in dist/, to install without a clone: pipx install dist/lettergen-*.whl
dist: system-packages-demo $(DEV_STAMP)
	$(BIN)/python scripts/build-wheel $(DIST)

# Proof on a bare system (not part of `make test`; root, 30-45 minutes on 2 cores): a minimal
# Debian root made with mmdebstrap, a clean clone of this repository's HEAD in it, `make demo`
# then `make test` run there as root. See scripts/bare-check.
bare-check:
	scripts/bare-check

clean:
	rm -rf $(VENV) $(DIST) build output/*/ .pytest_cache .mypy_cache .ruff_cache
