# paydesk: `make demo` opens the kiosk on the embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Tests and the demo keep their data here unless PAYDESK_HOME says otherwise.
export PAYDESK_HOME ?= $(CURDIR)/.paydesk

.PHONY: demo test check install snapshots bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# The web side (webhooks, /healthz on 127.0.0.1:8080) runs beside the kiosk and stops with it;
# its log is $(PAYDESK_HOME)/logs/web.log.
demo: $(STAMP)
	$(BIN)/paydesk demo --seed-only >/dev/null
	$(BIN)/paydesk serve-web >/dev/null 2>&1 & web=$$!; \
	trap 'kill $$web 2>/dev/null' EXIT INT TERM; \
	$(BIN)/paydesk demo

# Three workers on two cores: a third of a UI or SSH test's time is spent waiting (timers, the
# sandbox, subprocesses), so a third worker fills it (16 min against 29 with two).
test: $(STAMP)
	$(BIN)/pytest -n 3 --dist loadgroup -q $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

snapshots: $(STAMP)
	$(BIN)/pytest tests/ui --snapshot-update -q

bench: $(STAMP)
	$(BIN)/python bench/pay.py

clean:
	rm -rf $(VENV) .paydesk .pytest_cache .mypy_cache .ruff_cache
