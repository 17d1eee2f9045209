# Two commands on a fresh Debian/Ubuntu machine:
#   make demo   - install everything, migrate, load fixtures and demo accounts, serve on :8000
#   make test   - run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
DEB_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 gettext libpango-1.0-0 libpangoft2-1.0-0 poppler-utils python3-venv libreoffice-writer-nogui libreoffice-calc-nogui fonts-arphic-ukai fonts-arphic-uming fonts-wqy-microhei
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: screenshots demo test lint install system-packages python-packages node-packages migrate fixtures serve messages bench bench-web clean

demo: install migrate fixtures serve

install: system-packages python-packages node-packages

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

python-packages: $(VENV)/.installed

# Front-end libraries, pinned by package-lock.json and served by the portal itself (no CDN).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --ignore-scripts --omit=optional
	touch $@

node-packages: node_modules/.installed

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py signing_certificate

fixtures: migrate
	$(PY) manage.py load_regions
	$(PY) manage.py load_calls
	$(PY) manage.py load_rubrics
	$(PY) manage.py load_demo

serve:
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -q

# the linter and the layer contracts (pyproject.toml: [tool.ruff], [tool.importlinter])
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

messages:
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) tests/bench/bench_scoring.py

# the portal under load against PostgreSQL (DATABASE_URL): queue, autosave and a bare page side by side, a deadline day
bench-web: install
	@test -n "$$DATABASE_URL" || { echo "bench-web needs DATABASE_URL=postgres://..."; exit 2; }
	$(PY) tests/bench/bench_web.py

clean:
	rm -rf var staticfiles .pytest_cache

# A screenshot of every page of the four journeys at 1366x768 (headless Chromium, demo data) under
# var/screenshots/; not part of `make test`.
screenshots: install
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e/screenshots.py
