# Everyday commands; README.md explains each. The local stack (Kafka KRaft + Redis as plain
# processes, chDB embedded) lives under .data/; `make test` reuses a running one or starts its
# own under .data/test and stops what it started.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the stack and the browser tests need (installed when missing and we are root)
DEBS := redis-server openjdk-17-jre-headless maven chromium fonts-noto-cjk prometheus

.PHONY: install system stack test test-fast demo bench down

# Development mode: the public default secrets and demo users are accepted (schemas/settings.py)
test test-fast demo bench: export SAFETYNET_DEV = 1

install: system $(BIN)/safetynet

$(BIN)/safetynet: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

system:
	@missing=""; \
	for pkg in $(DEBS); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "apt-get install$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (Debian packages)"; exit 1; fi; \
	fi

stack: install
	$(BIN)/safetynet stack up

# Layers in this order: Playwright's sync API (browser) must come after every async test.
test: install
	$(BIN)/pytest -q tests/unit tests/integration tests/slow tests/browser

test-fast: install
	$(BIN)/pytest -q tests/unit

demo: install
	$(BIN)/safetynet demo

bench: install
	@mkdir -p bench-results
	$(BIN)/safetynet bench --json bench-results/streams.json
	$(BIN)/python -m producers.bench --rows 200000
	$(BIN)/python -m consumers.analytics.bench

down:
	$(BIN)/safetynet stack down
