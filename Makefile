# 技能通 — the two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
#: Python keeps each module it compiles (__pycache__, and pytest its rewritten test modules): an environment that
#: turns that off makes every process compile every module again, ~2 s of CPU for each start of the app (the
#: suite starts dozens: xdist workers, gunicorn, the scheduler, CLI commands).
unexport PYTHONDONTWRITEBYTECODE
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/jinengtong_test
HOST ?= 127.0.0.1
PORT ?= 5000
#: the development mail catcher (make run): e-mails end up as files in instance/mail/
DEV_MAIL_PORT ?= 8025
SCALE ?= 10000
#: pytest-xdist workers (each has its own SQLite file or PostgreSQL database and its own live server).
WORKERS ?= 3

.PHONY: pdf-deps run test test-shifted test-reliability test-sqlite test-pg install install-prod lock static translations system-deps postgres db demo bench bench-throughput bench-growth bench-profile bench-tools lint clean

run: install pdf-deps db demo  ## install everything, migrate, load demo data, serve on http://127.0.0.1:5000 (+ scheduler, mail catcher)
	@echo ""
	@echo "技能通 is running at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/python -c "from app.core.demo import DEMO_USERS, DEMO_PASSWORD, PERSON_USER; [print(f'  {u:<10} / {DEMO_PASSWORD}   {what}') for u, _, _, _, what in DEMO_USERS]; print(f'  {PERSON_USER[0]:<10} / {DEMO_PASSWORD}   {PERSON_USER[1]}')"
	@echo ""
	@echo "  Reminder e-mails are caught, not sent: each is a file in instance/mail/*.eml"
	@echo ""
	@BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) DEV_MAIL_PORT=$(DEV_MAIL_PORT) scripts/dev-run.sh

#: The shifted-clock run: SQLite unit + web tests with the clock of the whole process tree moved by the same offset
#: (Debian's libfaketime; every child process too) to 3 October, 10:00, of the first year at least a year ahead of
#: today: inside the 国庆 public-holiday week, and beyond the years chinesecalendar knows. The monotonic clock is left
#: alone (FAKETIME_DONT_FAKE_MONOTONIC=1): libfaketime 0.9.10 does not translate the waits Python's locks and events
#: make on it, so with it moved every wait with a timeout lasts a year; tests/shifted_clock/sitecustomize.py works
#: around the one thing that then breaks (time.sleep). FAKETIME_FORCE_MONOTONIC_FIX=0: the library's rewrite of
#: pthread_cond_timedwait deadlines is off. With it on, it shifted the deadline of the GIL's wait (kept on the
#: monotonic clock, which is not moved) by a year into the past, so a thread waiting for the GIL never waited: two
#: runnable threads (a live server, the reminder senders, an SMTP server) handed it back and forth without pause and
#: the run took twice the CPU (337 s against 173 s, measured). SHIFT_SECONDS=<n> overrides the offset.
SHIFT_AT := import datetime as d; n = d.datetime.now(); t = n.date() + d.timedelta(days=366); \
  y = t.year if t <= d.date(t.year, 10, 3) else t.year + 1; print(int((d.datetime(y, 10, 3, 10) - n).total_seconds()))
SHIFTED = shift=$${SHIFT_SECONDS:-$$($(PY) -c "$(SHIFT_AT)")}; \
  export PYTHONPATH=$(CURDIR)/tests/shifted_clock FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0; \
  faketime -f "+$$shift" $(BIN)/python -c "import datetime; print('shifted clock:', datetime.datetime.now())"; \
  faketime -f "+$$shift" $(BIN)/python -m pytest -q -n $${SHIFTED_WORKERS:-$(WORKERS)} tests/unit tests/web
#: The reliability test's short form (400 reminders, 3 kill -9, 1 SIGTERM of real scheduler processes) on SQLite, then
#: PostgreSQL: `make test` runs it in the background beside the SQLite part (it mostly waits on processes and SMTP,
#: and its leases are renewed, so it holds under load); the long form is `make test-reliability`.
RELIABILITY_SHORT = $(BIN)/python -m pytest -q -s -p no:randomly tests/reliability \
  && DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -s -p no:randomly tests/reliability

#: One part of `make test` in the background: its output to test-artifacts/<name>.log, its seconds and exit status
#: beside it, so that parts can run side by side and be reported one by one.
define PART
( t=$$(date +%s); ( $(2) ) > test-artifacts/$(1).log 2>&1; rc=$$?; \
  echo "$$rc $$(( $$(date +%s) - t ))" > test-artifacts/$(1).status; exit $$rc ) &
endef
#: After the parts: each part's summary (the whole log of a failed one), seconds, and which failed.
REPORT_PARTS = for part in $(1); do \
	  read rc seconds < test-artifacts/$$part.status || { rc=1; seconds=?; }; took="$$took $$part=$${seconds}s"; \
	  if [ "$$rc" != 0 ]; then failed="$$failed $$part"; echo "===== $$part: FAILED ====="; cat test-artifacts/$$part.log; \
	  else echo "===== $$part ====="; tail -n 4 test-artifacts/$$part.log; fi; \
	done

#: The parts, in two phases, each phase keeping both CPUs busy: lint and the reliability test's short form (it
#: mostly waits on its processes) beside the SQLite suite (browser tests included, 3 workers); then PostgreSQL
#: (2 workers) and the shifted-clock run (2 workers) side by side. The route fuzzer's bounded run takes 15 CPU-s on SQLite and 10 in each of the other two, each
#: part with its own seed (three different request sequences, not the same one three times).
test: install pdf-deps system-deps postgres  ## the whole suite on SQLite, on PostgreSQL, and on SQLite under a clock a year ahead (all parts run; fails if any failed)
	@trap "kill 0" INT TERM; rm -rf test-artifacts/*.status; mkdir -p test-artifacts; failed=""; took=""; started=$$(date +%s); \
	$(call PART,lint,$(MAKE) -s --no-print-directory lint) \
	$(call PART,reliability,$(RELIABILITY_SHORT)) \
	$(call PART,sqlite,FUZZ_SECONDS=15 $(BIN)/python -m pytest -q -n $(WORKERS) tests --ignore=tests/reliability) \
	wait; \
	$(call PART,postgresql,DATABASE_URL=$(PG_URL) FUZZ_SECONDS=10 FUZZ_SEED=2 $(BIN)/python -m pytest -q -n 2 tests \
	  --ignore=tests/browser --ignore=tests/reliability) \
	$(call PART,shifted-clock,export FUZZ_SECONDS=10 FUZZ_SEED=3 SHIFTED_WORKERS=2; $(SHIFTED)) \
	wait; \
	$(call REPORT_PARTS,lint sqlite postgresql shifted-clock reliability); \
	echo "make test:$$took; $$(( $$(date +%s) - started ))s in all"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; echo "passed: lint sqlite postgresql shifted-clock reliability"

test-shifted: install system-deps  ## SQLite unit + web tests with every process's clock a year ahead (libfaketime)
	@$(SHIFTED)

install: $(VENV)/.installed static translations  ## development and tests: the locked runtime + test set, editable

#: The locked sets (hashes of every file): requirements/runtime.lock for production, test.lock = runtime + test tools.
LOCKS := requirements/runtime.lock requirements/test.lock
UV_VERSION := 0.13.9
UV_COMPILE = $(BIN)/uv pip compile -q --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

$(BIN)/python:
	$(PY) -m venv $(VENV)

#: Development and tests install the locked set with uv (the same lock, every hash checked; about 4× less CPU than
#: pip, which counts in CI's 10 minutes); production installs it with pip alone (deploy/install.sh).
$(VENV)/.installed: pyproject.toml $(LOCKS) | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r requirements/test.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

lock: | $(BIN)/python  ## refresh the lock files from pyproject.toml (keeps every pin it can; UPGRADE=1 takes the newest allowed)
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(UV_COMPILE) pyproject.toml -o requirements/runtime.lock
	$(UV_COMPILE) --extra test -c requirements/runtime.lock pyproject.toml -o requirements/test.lock

install-prod:  ## production: a venv with the locked runtime set only (no test tools), translations, static/vendor
	PY=$(PY) VENV=$(VENV) deploy/install.sh

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
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k message_template --project jinengtong --version 0.1.0 -o app/translations/messages.pot .
	$(BIN)/pybabel -q update -i app/translations/messages.pot -d app/translations

#: HarfBuzz-Subset: WeasyPrint subsets the embedded fonts with it, and without it warns on import (a
#: DeprecationWarning, which the test suite turns into an error); Chromium's package brings it too, `make run` does not.
pdf-deps:  ## Debian's Pango, HarfBuzz-Subset and Noto CJK fonts: the certificates' PDFs (WeasyPrint) need them at run time
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! ldconfig -p | grep -q libharfbuzz-subset \
	    || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	    libharfbuzz-subset0 fonts-noto-cjk >/dev/null; \
	fi

system-deps:  ## Debian's Chromium and CJK fonts for the browser tests, faketime for the shifted-clock run
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/faketime ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk faketime >/dev/null; \
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

#: mypy keeps what it has checked outside the checkout, so a fresh clone on the same machine (CI's) checks only what
#: changed: ~30 CPU-s less. The cache is keyed by each file's contents; deleting the folder is always safe.
MYPY_CACHE_DIR ?= $(HOME)/.cache/jinengtong/mypy

lint: $(VENV)/.installed  ## ruff, the architecture contracts (.importlinter) and mypy (mypy.ini)
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy --cache-dir $(MYPY_CACHE_DIR)

#: seconds of wrk load per URL in the throughput bench; seconds of timing per case at most in the latency bench
BENCH_SECONDS ?= 5
BENCH_BUDGET ?= 3

bench: install bench-tools  ## `make bench SCALE=1000000 DATABASE_URL=...`: latency, throughput, reminders, certificates; one table at the end
	$(BIN)/python -m bench.all --scale $(SCALE) --budget $(BENCH_BUDGET) --duration $(BENCH_SECONDS) --certificates 500

bench-throughput: install bench-tools  ## req/s of each list page and dashboard (gunicorn, 4 workers, wrk on 127.0.0.1) against the same-SQL floor
	$(BIN)/python -m bench.throughput --scale $(SCALE) --duration $(BENCH_SECONDS)

bench-growth: install  ## each supervision tab at 100,000 and 1,000,000 people: ratio of medians (BENCH_SMALL_URL, BENCH_LARGE_URL)
	$(BIN)/python -m bench.growth --small 100000 --large 1000000

bench-profile: install  ## Python function calls, SQL statements and CPU ms per request of the list pages (deterministic)
	$(BIN)/python -m bench.profile --scale $(SCALE)

bench-tools:  ## Debian's wrk, the load tool of the throughput bench
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

RELIABILITY_LONG := RELIABILITY_REMINDERS=2000 RELIABILITY_KILLS=6 RELIABILITY_TERMS=3

test-reliability: install  ## 3 scheduler processes, 2,000 reminders, 6 kill -9 and 3 SIGTERM; prints duplicates=<n> kills=<k> connections=<c> (SQLite, then PostgreSQL)
	$(RELIABILITY_LONG) $(BIN)/python -m pytest -q -s tests/reliability
	$(RELIABILITY_LONG) DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -s tests/reliability

clean:
	rm -rf $(VENV) node_modules static/vendor instance/*.sqlite3

fuzz: install  ## a long run of the route fuzzer (tests/fuzz.py) in FUZZ_SHARDS (2) parallel shards: `make fuzz FUZZ_REQUESTS=100000 FUZZ_SECONDS=7200`
	FUZZ_REQUESTS=$${FUZZ_REQUESTS:-100000} FUZZ_SECONDS=$${FUZZ_SECONDS:-7200} FUZZ_SHARDS=$${FUZZ_SHARDS:-2} \
	  FUZZ_PROGRESS=$${FUZZ_PROGRESS:-instance/fuzz-progress.txt} \
	  $(BIN)/python -m pytest -q -p no:cacheprovider -n $${FUZZ_SHARDS:-2} tests/web/test_route_fuzz.py 2>/dev/null | tail -3
	@head -qn 2 $${FUZZ_PROGRESS:-instance/fuzz-progress.txt}* 2>/dev/null || true
