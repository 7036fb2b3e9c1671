# Two commands for a newcomer: `make demo` runs the product, `make test` tests it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: install demo test test-unit test-e2e test-integration test-browser lint format \
        migrations-check bench soak clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p var
	@grep -qs APPLIANCE_ALLOW_HTTP_LOOPBACK var/local.env || printf 'APPLIANCE_ALLOW_HTTP_LOOPBACK=true\nDJANGO_DEBUG=true\n' >> var/local.env
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py load_demo
	@$(PY) manage.py demo_banner
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -e var/local.env

# Exit code 5 means "no tests collected": a legitimately empty tier is no failure.
NONE_OK := || test $$? -eq 5
# The integration tier needs the servers up before Django loads its settings.
WITH_SERVERS := $(PY) -m tests.integration.servers run --

# Every tier: unit, end-to-end and browser, then the integration tier (which
# reports itself skipped, with the reason, where PostgreSQL or Redis is missing).
# The integration tier runs even when the others failed; either failing fails.
test: install
	@status=0; \
	$(PYTEST) -q tests -m "not integration and not soak" $(NONE_OK) || status=1; \
	$(WITH_SERVERS) $(PYTEST) -q -rs tests/integration -m "integration and not soak" \
	    --ds integration.settings_integration $(NONE_OK) || status=1; \
	exit $$status

test-unit: install
	$(PYTEST) -q -n 2 tests -m "not e2e and not integration and not browser and not soak" $(NONE_OK)

test-e2e: install
	$(PYTEST) -q tests -m e2e $(NONE_OK)

test-integration: install
	$(WITH_SERVERS) $(PYTEST) -q -rs tests/integration -m "integration and not soak" \
	    --ds integration.settings_integration $(NONE_OK)

test-browser: install
	$(PYTEST) -q tests -m browser $(NONE_OK)

# Load tests that take minutes (the embedded broker under a burst of tasks).
soak: install
	$(PYTEST) -q tests -m soak $(NONE_OK)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Figures next to their baselines, printed and written to build/bench.json.
bench: install
	$(PY) -m tests.bench.run

clean:
	rm -rf $(VENV) var build
