# courtesy: `make run` takes a fresh clone to a running site, `make test` runs the suite.
# Both honour DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL and the other settings in README.md.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Every recipe sees them: SITE_URL defaults to http://HOST:PORT (settings.py), so the demo's
# frozen disclaimers, links, mails and the self-check name the port the site serves on.
export HOST PORT

.PHONY: run test install install-test chromium varnish lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test chromium varnish node_modules/.installed

# Browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The edge-cache tests run a real Varnish with vmod xkey (tests/varnishtools.py).
varnish:
	@{ command -v varnishd >/dev/null 2>&1 || test -x /usr/sbin/varnishd; } && \
	  test -e /usr/lib/x86_64-linux-gnu/varnish/vmods/libvmod_xkey.so || { \
	  echo "installing Debian's varnish and varnish-modules for the edge-cache tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq varnish varnish-modules; }

# axe-core for the browser tests' accessibility checks, from package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm for the accessibility tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --silent
	touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo
	@echo
	@echo "  courtesy is starting:  http://$(HOST):$(PORT)/"
	@echo "  staff admin:           http://$(HOST):$(PORT)/admin/  (credentials above)"
	@echo "  Ctrl-C stops the site, the workers and the scheduler."
	@echo
	@# honcho gives each process its own PORT (web's, then +100 for each next one), so the
	@# workers are told SITE_URL itself: their links, mails and self-check name web's port.
	HOST=$(HOST) PORT=$(PORT) SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
	  $(VENV)/bin/honcho --procfile Procfile start

# The suite's embedded run keeps its SQLite file and broker folder apart from `make run`'s.
test: install-test
	COURTESY_VAR_DIR=$${COURTESY_VAR_DIR:-$(CURDIR)/var/test} $(PY) -m pytest $(PYTEST_ARGS)

# The layering and module sizes are Django system checks (compliance/core/layers.py).
lint: install-test
	$(VENV)/bin/ruff check .
	$(PY) manage.py check --fail-level WARNING

bench: install-test
	COURTESY_VAR_DIR=$${COURTESY_VAR_DIR:-$(CURDIR)/var/bench} $(PY) -m bench

clean:
	rm -rf var/test var/bench
