# lettergen — the front door. `make demo` and `make test` each set up everything they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages the tests and the renderers use: poppler (pdftotext, pdffonts, pdftoppm),
# libtiff tools (tiffinfo), LibreOffice Writer (DOCX -> PDF), embedded fonts, WeasyPrint's Pango;
# hunspell and the dictionaries of the shipped letter languages (`lang check` spell-checks
# letters); Chromium (the supporter page's browser tests drive it through Playwright); for the
# fax transmission test: HylaFAX (server and client), iaxmodem, iproute2 (ip netns).
DEB_PACKAGES := poppler-utils libtiff-tools libreoffice-writer-nogui fonts-dejavu-core \
	fonts-liberation2 fonts-noto-core fontconfig libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz-subset0 python3-venv \
	hunspell hunspell-en-gb hunspell-en-us hunspell-de-de hunspell-fr hunspell-es hunspell-ru \
	hunspell-ar \
	chromium hylafax-server hylafax-client iaxmodem iproute2
DEB_COMMANDS := pdftotext pdffonts pdftoppm tiffinfo soffice fc-match hunspell chromium \
	sendfax faxstat faxq hfaxd faxgetty iaxmodem ip
HUNSPELL_DICTS := en_GB en_US de_DE fr_FR es_ES ru_RU ar_EG

.PHONY: install demo test lint bench bench-serve clean system-packages

install: system-packages $(STAMP)

system-packages:
	@missing=""; for c in $(DEB_COMMANDS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	fc-list 2>/dev/null | grep -q DejaVuSans.ttf || missing="$$missing fonts"; \
	fc-list 2>/dev/null | grep -q LiberationSans-Regular || missing="$$missing fonts"; \
	fc-list 2>/dev/null | grep -q NotoNaskhArabic || missing="$$missing fonts"; \
	$(PY) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	for d in $(HUNSPELL_DICTS); do test -e /usr/share/hunspell/$$d.dic || missing="$$missing hunspell-$$d"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages (missing:$$missing)"; \
	    blocker=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; blocker=1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES) >/dev/null; \
	    status=$$?; [ -n "$$blocker" ] && rm -f /usr/sbin/policy-rc.d; [ "$$status" = 0 ] || exit $$status; \
	  else \
	    echo "Missing:$$missing. Install as root: apt-get install $(DEB_PACKAGES)" >&2; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The main job: import the seed directory text into a scratch file (to show what the importer
# reads), check the shipped, hand-reviewed directories, then write the seed campaign's letters
# and those of the second example, about another sending state (Belarus; letters by post too).
demo: install
	$(BIN)/lettergen directory import data/sources/kazakhstan-2002.txt \
	  -o output/kazakhstan-imported.yaml --state KZ --force
	$(BIN)/lettergen missions validate
	$(BIN)/lettergen batch free-zhanusov-2002 --all
	$(BIN)/lettergen batch free-bialiatski-2023 --all --include-no-fax

test: install
	$(BIN)/pytest

lint: install
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

# 20 concurrent supporters asking the real server (127.0.0.1) for letters; bounded in count and time.
bench-serve: install
	$(BIN)/python benchmarks/bench_serve.py --preview

clean:
	rm -rf $(VENV) output/*/ .pytest_cache .mypy_cache .ruff_cache
