# Two commands do all the set-up: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app lms
STAMP := $(VENV)/.installed
MO := translations/da/LC_MESSAGES/messages.mo translations/en/LC_MESSAGES/messages.mo

.PHONY: run test install db translations lint chromium pango extract clean lock audit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 2>/dev/null
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations -l $* -i $<

translations: $(MO)

db: install translations
	$(FLASK) db upgrade
	$(FLASK) modules load
	$(FLASK) demo

run: pango db
	$(FLASK) run --host 127.0.0.1 --port 5000

# Debian's Chromium for the browser tests; installed when missing and we are root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; \
	  fi; \
	fi

# Debian's Pango and the DejaVu fonts, which WeasyPrint needs for certificate PDFs.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pango:
	@if ! dpkg -s $(PANGO_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PANGO_PACKAGES) >/dev/null; \
	  else \
	    echo "missing: run 'sudo apt-get install -y $(PANGO_PACKAGES)'" >&2; exit 1; \
	  fi; \
	fi

lint: install
	$(BIN)/ruff check .

# Known vulnerabilities in the locked dependencies; skipped, saying so, when offline.
audit: install
	$(BIN)/python scripts/audit_dependencies.py requirements.lock

# Pin the exact versions installed in the venv (after changing pyproject.toml).
lock: install
	$(BIN)/pip freeze --exclude-editable > requirements.lock

# One test process per core and one more: the suite waits on PostgreSQL and
# Chromium often enough that a core would otherwise idle.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

test: install translations chromium pango lint audit
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

# Refresh the message catalogues after changing user-facing text.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance/lms.db*
