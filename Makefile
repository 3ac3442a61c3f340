# Everyday commands. The local stack (Kafka KRaft + Redis as plain processes, chDB embedded) lives
# under .data/; `make test` starts its own under .data/test (or reuses a running one) and stops
# what it started.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install stack test demo bench down

install: $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

stack:
	$(BIN)/safetynet stack up

# pytest exits 5 when it collects no test: not a failure while the suite is being written.
test:
	$(BIN)/pytest -q tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

demo:
	$(BIN)/safetynet demo

bench:
	$(BIN)/safetynet bench

down:
	$(BIN)/safetynet stack down
