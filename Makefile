# Two commands do all the set-up on a fresh machine: `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INDEX_DIR ?= var/index
export NEMO_GUARDRAILS_NO_USAGE_STATS := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install prepare prepare-vllm index serve serve-vllm test lint system-deps loadtest bench soak overload

# The gateway's environment; torch is pinned first so nothing pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test,engine,train]'
	touch $@

install: $(VENV)/.installed

# Heavy one-time artifacts go to ~/.cache/ragguard (RAGGUARD_CACHE_DIR) and are reused.
prepare: install
	$(VENV)/bin/ragguard prepare

prepare-vllm: install
	$(VENV)/bin/ragguard prepare --vllm

$(INDEX_DIR)/current: $(wildcard docs/*.md) | install
	$(PY) -m index build docs --out $(INDEX_DIR)

index: $(INDEX_DIR)/current

serve: prepare index
	RAGGUARD_DEV_MODE=$${RAGGUARD_DEV_MODE:-true} RAGGUARD_INDEX_DIR=$(INDEX_DIR) $(VENV)/bin/ragguard up

serve-vllm: prepare-vllm index
	RAGGUARD_DEV_MODE=$${RAGGUARD_DEV_MODE:-true} RAGGUARD_INDEX_DIR=$(INDEX_DIR) $(VENV)/bin/ragguard up --kind vllm

# A real Prometheus server for the scrape test and headless Chromium + chromedriver for the playground
# browser test (Debian packages); skipped when already present.
system-deps:
	@command -v prometheus >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }
	@command -v redis-server >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy service guardrails index models engines

test: system-deps prepare-vllm lint
	@mkdir -p var
	$(PY) -m pytest -ra --durations=12; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$status

# A short, bounded Locust run against a fresh local stack (report in var/loadtest).
loadtest: prepare index
	$(PY) -m loadtests.run --start-stack --users 4 --spawn-rate 2 --run-time 30s --tags rag,stream,attack --out var/loadtest

# A 10-minute soak sampling the gateway's RSS (var/soak), and a run at 2x the sustained concurrency with
# admission limits set, reporting 200 vs 429/503 vs anything else (var/overload).
soak: prepare index
	$(PY) -m loadtests.soak --start-stack --index-dir $(INDEX_DIR) --duration-s 600 --concurrency 2 --out var/soak

overload: prepare index
	$(PY) -m loadtests.overload --start-stack --index-dir $(INDEX_DIR) --out var/overload

# Gateway overhead against the bare engine, side by side in one run.
bench: prepare index
	$(PY) -m bench.overhead --start-stack --concurrency 1,4,16 --requests 16
