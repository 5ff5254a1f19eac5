# The two commands a newcomer needs:  make run   and   make test
# Both create the virtualenv and install what they need on first use.

PYTHON ?= $(shell command -v python3.13 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

APPS := accounts policy auditlog billing support

.PHONY: run test lint format check bench install clean messages

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 13))' || { echo "Python 3.13 or newer is needed (found $(PYTHON))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The portal on SQLite with demo data at http://$(HOST):$(PORT), plus a task worker.
run: export DJANGO_DEBUG ?= 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py schedule_periodic
	$(PY) manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

# The whole suite. DATABASE_URL=postgres://... runs it on PostgreSQL.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

bench: install
	$(PY) -m bench $(BENCH_ARGS)

# Translation catalogues: one per app (<app>/locale, covering templates/<app>/ too) and
# one for the project (locale/: onespace/ and the shared templates). `make messages APP=billing`
# refreshes one app only. Then fill in the msgstr lines and run it again to compile.
messages: install
	for app in $(or $(APP),$(APPS)); do \
	  (cd $$app && mkdir -p locale && ln -sfn ../templates/$$app _templates && \
	   ../$(PY) ../manage.py makemessages -l th -l en --symlinks --no-obsolete --no-location --ignore=tests; \
	   rm -f _templates) || exit 1; \
	done
	[ -n "$(APP)" ] || $(PY) manage.py makemessages -l th -l en --no-obsolete --no-location \
	  --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles \
	  $(foreach app,$(APPS),--ignore=$(app) --ignore=templates/$(app))
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
