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
	@grep -qs APPLIANCE_ALLOW_HTTP_LOOPBACK var/demo.env || printf 'APPLIANCE_ALLOW_HTTP_LOOPBACK=true\nDJANGO_DEBUG=true\n' >> var/demo.env
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py load_demo
	@$(PY) manage.py demo_banner
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -e var/demo.env

test: install
	$(PYTEST) -q tests

test-unit: install
	$(PYTEST) -q tests -m "not e2e and not integration and not browser"

test-e2e: install
	$(PYTEST) -q tests -m e2e

test-integration: install
	$(PYTEST) -q tests -m integration

test-browser: install
	$(PYTEST) -q tests -m browser

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
