# Two commands for a fresh machine: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: run test lint setup messages pdf-deps browser-deps gettext-deps clean

# The versions (and hashes) of everything installed are in requirements.lock, made from
# pyproject.toml with pip-compile (the README says how to refresh it); the app itself goes in on
# top, without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# daphne listens with a backlog for a room of phones joining at once (Twisted's default is 50),
# and gives a socket 30 s to be accepted (its default, 5 s, refused phones whose socket waited
# behind a queue of joins); the benchmark serves the same way (bench/servers.py).
run: $(STAMP) pdf-deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_content
	$(PY) manage.py demo_facilitator
	$(PY) manage.py demo_session --if-empty --embedded-only
	$(PY) manage.py serve_info --port $(PORT)
	$(PY) -m daphne -e tcp:port=$(PORT):interface=$(HOST):backlog=4096 \
		--websocket_connect_timeout 30 config.asgi:application

# System packages, installed where we may (root with apt, as on CI); elsewhere we say what is
# missing. PDF reports need Pango (WeasyPrint); the browser tests need Debian's Chromium.
define apt_install
	@missing=""; for check in $(1); do \
		package=$${check%%:*}; test=$${check#*:}; sh -c "$$test" >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "Installing$$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
				|| echo "Could not install$$missing"; \
		else echo "Missing system packages:$$missing (install them with your package manager)"; fi; \
	fi
endef

pdf-deps:
	$(call apt_install,libpango-1.0-0:"ldconfig -p | grep -q libpango-1.0" libpangoft2-1.0-0:"ldconfig -p | grep -q libpangoft2-1.0" fonts-dejavu-core:"test -d /usr/share/fonts/truetype/dejavu")

browser-deps:
	$(call apt_install,chromium:"test -x /usr/bin/chromium")

# makemessages runs GNU gettext: `make messages`, and the test that compares the catalogue with
# the texts in the code and templates.
gettext-deps:
	$(call apt_install,gettext:"command -v xgettext")

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) pdf-deps browser-deps gettext-deps lint
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || (echo "Missing migrations: run manage.py makemigrations" && exit 1)
	$(VENV)/bin/pytest

# Regenerate the translation catalogue after changing texts (needs GNU gettext). Texts no
# longer in the code leave the catalogue (tests/test_translations.py fails on them).
messages: $(STAMP) gettext-deps
	$(PY) manage.py makemessages -l nl --no-obsolete --ignore=.venv --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
