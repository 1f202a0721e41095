# w365.cloudpc — developer entry points. `make demo` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
COLL_ROOT := .build/collections
COLL_LINK := $(COLL_ROOT)/ansible_collections/w365/cloudpc
STAMP := $(VENV)/.installed
RESULTS := .build/test-results
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

SEED ?= w365_sandbox/seeds/demo.yml

.PHONY: venv demo sandbox test test-fast test-sandbox sanity units integration lint changelog-lint docs bench build clean constraints

venv: $(STAMP) $(COLL_LINK)

$(STAMP): requirements.txt tests/requirements.txt tests/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c tests/constraints.txt -r requirements.txt -r tests/requirements.txt
	touch $(STAMP)

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(CURDIR) $(COLL_LINK)

demo: venv
	$(PY) -m tests.demo

# The sandbox on your own seed (rehearse your estate): prints the exports to paste into another shell; Ctrl-C stops it.
sandbox: venv
	mkdir -p .build/sandbox
	$(PY) -m w365_sandbox --seed $(SEED) --state-dir .build/sandbox --ready-file .build/sandbox/ready.json --print-env

# Every step runs even when an earlier one fails, so one CI run shows everything; the exit code is non-zero if any failed.
test: venv
	@rm -rf $(RESULTS); failed=""; \
	for step in sanity lint units integration; do \
	  echo "===== make $$step"; \
	  $(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	$(PY) tests/summary.py $(RESULTS)/units.xml $(RESULTS)/integration.xml; \
	if [ -n "$$failed" ]; then echo "FAILED steps:$$failed"; exit 1; fi

# Tests by cost (markers set in tests/conftest.py). test-fast: pure logic, no process, no network - it should stay
# under 10 s; test-sandbox: the unit tests that start a sandbox or another process; `make integration`: playbook runs.
test-fast: venv
	@TIMEFORMAT='fast tier: %R s wall, %U s user + %S s system CPU (keep it under 10 s)'; time $(PY) -m pytest -q -p no:cacheprovider -m fast tests/unit

test-sandbox: venv
	@TIMEFORMAT='sandbox tier: %R s wall, %U s user + %S s system CPU'; time $(PY) -m pytest -q -n 2 -m "sandbox or slow" tests/unit

units: venv
	mkdir -p $(RESULTS)
	$(PY) -m pytest -q -n 2 --junitxml=$(RESULTS)/units.xml tests/unit

integration: venv
	mkdir -p $(RESULTS)
	$(PY) -m pytest -q -n 2 --junitxml=$(RESULTS)/integration.xml tests/integration

# ansible-test needs the collection under ansible_collections/NS/NAME as a real directory: copy the tracked
# and new files there (a fresh copy each run, so parallel runs don't collide).
sanity: venv
	bash tests/sanity.sh

lint: venv
	bash tests/lint.sh

docs: venv
	bash docs/build.sh

bench: venv
	$(PY) -m bench

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path .build/dist

constraints:
	$(PY) -m pip freeze --exclude-editable | sort > /tmp/w365-constraints.txt
	{ echo "# Pins for reproducible CI (pip install -c tests/constraints.txt). Regenerate with: make constraints"; cat /tmp/w365-constraints.txt; } > tests/constraints.txt

clean:
	rm -rf .build tests/output .pytest_cache
