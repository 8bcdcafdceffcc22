# 技能通 — the two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/jinengtong_test
HOST ?= 127.0.0.1
PORT ?= 5000
SCALE ?= 10000
#: pytest-xdist workers (each has its own SQLite file or PostgreSQL database and its own live server).
WORKERS ?= 3

.PHONY: run test test-reliability test-sqlite test-pg install static translations system-deps postgres db demo bench lint clean

run: install db demo  ## install everything, migrate, load demo data, serve on http://127.0.0.1:5000
	@echo ""
	@echo "技能通 is running at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/python -c "from app.core.demo import DEMO_USERS, DEMO_PASSWORD, PERSON_USER; [print(f'  {u:<10} / {DEMO_PASSWORD}   {what}') for u, _, _, _, what in DEMO_USERS]; print(f'  {PERSON_USER[0]:<10} / {DEMO_PASSWORD}   {PERSON_USER[1]}')"
	@echo ""
	LOG_FORMAT=text $(BIN)/flask scheduler run & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	LOG_FORMAT=text $(BIN)/flask run --host $(HOST) --port $(PORT)

test: install system-deps postgres lint  ## the whole suite, on SQLite and on PostgreSQL
	$(BIN)/python -m pytest -q -n $(WORKERS) tests
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -n $(WORKERS) tests --ignore=tests/browser

install: $(VENV)/.installed static translations

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

static: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/
	cp node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/
	mkdir -p static/vendor/fullcalendar
	cp node_modules/fullcalendar/all/global.js static/vendor/fullcalendar/fullcalendar.js
	cp node_modules/fullcalendar/themes/classic/global.js static/vendor/fullcalendar/theme-classic.js
	cp node_modules/fullcalendar/locales/zh-cn/global.js static/vendor/fullcalendar/locale-zh-cn.js
	cp node_modules/fullcalendar/skeleton.css static/vendor/fullcalendar/skeleton.css
	cp node_modules/fullcalendar/themes/classic/theme.css static/vendor/fullcalendar/theme.css
	cp node_modules/fullcalendar/themes/classic/palette.css static/vendor/fullcalendar/palette.css
	cp node_modules/echarts/dist/echarts.common.min.js static/vendor/
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/translations

messages: $(VENV)/.installed  ## re-extract strings and update the English catalogue
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --project jinengtong --version 0.1.0 -o app/translations/messages.pot .
	$(BIN)/pybabel -q update -i app/translations/messages.pot -d app/translations

system-deps:  ## Debian's Chromium and CJK fonts for the browser tests
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

postgres:  ## start the local PostgreSQL if it is not up, and make the test database
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='jinengtong_test'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE jinengtong_test"

db: install  ## apply the migrations (the only way the schema is made)
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask seed-demo

lint: $(VENV)/.installed
	$(BIN)/ruff check app tests bench

bench: install  ## `make bench SCALE=1000000 DATABASE_URL=...`
	$(BIN)/python -m bench --scale $(SCALE)
	$(BIN)/python -m bench.reminders --pending $(SCALE)

test-reliability: install  ## 3 scheduler processes, 2,000 reminders, 10 SIGKILLs; prints the figures (SQLite, then PostgreSQL)
	RELIABILITY_REMINDERS=2000 $(BIN)/python -m pytest -q -s tests/reliability
	RELIABILITY_REMINDERS=2000 DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -s tests/reliability

clean:
	rm -rf $(VENV) node_modules static/vendor instance/*.sqlite3

fuzz: install  ## a long run of the route fuzzer (tests/fuzz.py): `make fuzz FUZZ_REQUESTS=100000 FUZZ_SECONDS=7200`
	FUZZ_REQUESTS=$${FUZZ_REQUESTS:-100000} FUZZ_SECONDS=$${FUZZ_SECONDS:-7200} FUZZ_PROGRESS=$${FUZZ_PROGRESS:-instance/fuzz-progress.txt} \
	  $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/web/test_route_fuzz.py 2>/dev/null | tail -3
