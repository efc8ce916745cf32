# Two commands for a fresh machine: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: run test lint setup messages browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_content
	$(PY) manage.py demo_facilitator
	$(PY) manage.py serve_info --port $(PORT)
	$(PY) -m daphne --bind $(HOST) --port $(PORT) config.asgi:application

# Browser tests drive Debian's Chromium; install it where we may (root with apt), as CI is.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
		|| echo "Could not install chromium; browser tests will be skipped outside CI."; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) browser-deps lint
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || (echo "Missing migrations: run manage.py makemigrations" && exit 1)
	$(VENV)/bin/pytest

# Regenerate the translation catalogue after changing texts (needs GNU gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l nl --ignore=.venv --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
