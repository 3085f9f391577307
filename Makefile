# The two commands: `make demo` runs the dashboard with the local sandbox AWS; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_BIND ?= 127.0.0.1:8000
SANDBOX_PORT ?= 4566
CHROMIUM ?= /usr/bin/chromium
TEST_PROCESSES ?= 3
DEMO_STATE := var/sandbox
export SANDBOX_PORT WEB_BIND

.PHONY: install install-runtime demo demo-reset serve test lint browser migrate

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Pinned and hashed (requirements/compile makes them): runtime is what `make serve` needs, dev adds the sandbox
# and the test and lint tools for `make demo` and `make test`.
$(VENV)/.installed-runtime: requirements/runtime.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/runtime.txt
	touch $@

$(VENV)/.installed: requirements/dev.txt $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $@

install-runtime: $(VENV)/.installed-runtime

install: $(VENV)/.installed

migrate: install-runtime
	$(BIN)/python manage.py migrate --noinput

# The dashboard, a Celery worker, Celery beat, the events listener and the sandbox AWS, all pointed at the sandbox. The sandbox runs in
# real time (speed 1) so that every time on the pages is true; see the README.
demo: export SANDBOX_CONSOLE := 1
demo: install migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@signin="$$($(BIN)/python manage.py demo_signin)"; \
	address="Dashboard: http://$(WEB_BIND)   (sandbox AWS on http://127.0.0.1:$(SANDBOX_PORT); Ctrl-C stops everything)"; \
	echo; echo "  $$address"; echo "  $$signin"; echo; \
	AWS_ENDPOINT_URL=http://127.0.0.1:$(SANDBOX_PORT) AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox \
	AWS_REGION=$${AWS_REGION:-us-east-1} SANDBOX_SPEED=$${SANDBOX_SPEED:-1} PATH=$(CURDIR)/$(BIN):$$PATH \
	SANDBOX_STATE_DIR=$(CURDIR)/$(DEMO_STATE) WEB_ACCESS_LOG=$${WEB_ACCESS_LOG:-var/web-access.log} \
	$(BIN)/python scripts/run_processes.py --ready http://$(WEB_BIND)/sign-in/ \
	  --ready http://127.0.0.1:$(SANDBOX_PORT)/_sandbox/health --announce "$$address" --announce "$$signin"

# Both sides afresh: the sandbox's AWS (var/sandbox/) and the dashboard's demo database, broker and files in var/.
demo-reset:
	@if $(PYTHON) -c 'import socket, sys; s = socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(("127.0.0.1", $(SANDBOX_PORT))))'; \
	  then echo "Something answers on port $(SANDBOX_PORT): stop make demo (Ctrl-C) first."; exit 1; fi
	@found=; for path in $(DEMO_STATE) var/db.sqlite3* var/broker var/celerybeat-schedule* var/static var/secret_key; do \
	  if [ -e "$$path" ]; then rm -rf -- "$$path" && echo "  removed $$path"; found=1; fi; \
	done; [ -n "$$found" ] || echo "  nothing to remove"; echo "make demo now starts both sides afresh."

# The same against real AWS: credentials and region from the usual chain (AWS_PROFILE, ...), no sandbox.
serve: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "  Dashboard: http://$(WEB_BIND)   (Ctrl-C stops everything)"
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python scripts/run_processes.py --ready http://$(WEB_BIND)/sign-in/ \
	  --announce "Dashboard: http://$(WEB_BIND)" web worker beat events

browser:
	@test -x $(CHROMIUM) || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } \
	  || { echo "Browser tests need Chromium at $(CHROMIUM): apt-get install chromium (or set CHROMIUM=...)"; exit 1; }

test: install browser
	$(BIN)/lint-imports --no-cache
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
