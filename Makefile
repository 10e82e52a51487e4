# wageguard — the two commands: `make run` (demo province on SQLite) and `make test` (SQLite, then PostgreSQL).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= $(if $(filter postgres%,$(DATABASE_URL)),$(DATABASE_URL),postgres://postgres@127.0.0.1:5432/wageguard)
export WAGEGUARD_ENV ?= dev

.PHONY: browser fonts setup run test test-sqlite test-pg bench lock messages clean

setup: fonts $(VENV)/.installed

# The monthly reports' PDF embeds a CJK font from Debian's packages (fonts-wqy-zenhei), installed when missing and
# this machine can; without it the PDF falls back to the viewer's built-in STSong (not embedded).
fonts:
	@[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei >/dev/null)) ; } || \
	  echo "WARNING: fonts-wqy-zenhei is not installed; report PDFs will not embed their font"

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

run: setup
	$(BIN)/wageguard demo $(DEMO_ARGS)

test: browser test-sqlite test-pg

# The browser test drives Debian's chromium (never a browser downloaded by Playwright): installed when missing and
# this machine can (root with apt-get); otherwise that one test is skipped (and fails under CI=true).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) ; } || \
	  echo "WARNING: chromium is not installed; the browser test will be skipped"

test-sqlite: setup
	@echo "== test suite on SQLite =="
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-pg: setup
	@echo "== test suite on PostgreSQL ($(PG_URL)) =="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/simulate.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/ingest_attendance.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/payroll.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/alert_quality.py --seed 2026
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/alert_latency.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/credit.py

lock:
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q --extra test --no-emit-index-url --no-emit-find-links --strip-extras -o requirements.lock pyproject.toml

# The .po file is the source of the Chinese text: this adds the code's new strings to it (to translate there, the
# test lists what is missing) and compiles it. Needs gettext (xgettext, msgmerge, msgfmt).
messages: setup
	cd src/wageguard && ../../$(BIN)/wageguard makemessages -l zh_Hans --no-obsolete -i "migrations/*"
	cd src/wageguard && ../../$(BIN)/wageguard compilemessages

clean:
	rm -rf $(VENV) var
