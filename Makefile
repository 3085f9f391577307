# The two commands: `make demo` runs the dashboard with the local sandbox AWS; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_BIND ?= 127.0.0.1:8000
SANDBOX_PORT ?= 4566
CHROMIUM ?= /usr/bin/chromium
export SANDBOX_PORT WEB_BIND

.PHONY: install demo serve test lint browser migrate

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The dashboard, a Celery worker, Celery beat and the sandbox AWS, all pointed at the sandbox.
demo: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo
	@echo "  Dashboard: http://$(WEB_BIND)   (sandbox AWS on http://127.0.0.1:$(SANDBOX_PORT); Ctrl-C stops everything)"
	@echo "  $$($(BIN)/python manage.py demo_signin)"
	@echo
	AWS_ENDPOINT_URL=http://127.0.0.1:$(SANDBOX_PORT) AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox \
	AWS_REGION=$${AWS_REGION:-us-east-1} SANDBOX_SPEED=$${SANDBOX_SPEED:-30} PATH=$(CURDIR)/$(BIN):$$PATH \
	$(BIN)/honcho start

# The same against real AWS: credentials and region from the usual chain (AWS_PROFILE, ...), no sandbox.
serve: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "  Dashboard: http://$(WEB_BIND)   (Ctrl-C stops everything)"
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start web worker beat

browser:
	@test -x $(CHROMIUM) || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } \
	  || { echo "Browser tests need Chromium at $(CHROMIUM): apt-get install chromium (or set CHROMIUM=...)"; exit 1; }

test: install browser
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
