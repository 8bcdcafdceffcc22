#!/usr/bin/env bash
# The production install, run from the checkout (e.g. /srv/jinengtong) as the user the app runs as:
#   deploy/install.sh                 a venv in .venv with the locked runtime set (hash-checked), no test tools,
#                                     static/vendor from the npm lock, compiled translations.
# Then the release step (migrations) and the services: docs/deploy.md. Needs python3 (3.11+) with venv, and npm
# (only here, to fill static/vendor; the running app needs no Node).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
VENV=${VENV:-.venv}

test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
# Every file's hash is in the lock: a changed or substituted release on the index makes this fail.
"$VENV/bin/pip" install -q --require-hashes -r requirements/runtime.lock
# The app runs from this checkout (templates, migrations and static files are read from here): an editable
# install with --no-deps, so nothing outside the lock is ever resolved.
"$VENV/bin/pip" install -q --no-deps -e .
make -s static
# WeasyPrint (certificates) needs Pango and the Noto CJK fonts from Debian: `make pdf-deps` as root, or apt-get install
# libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk.
"$VENV/bin/pybabel" -q compile -d app/translations
# The web workers run with -OO and write no bytecode (deploy/jinengtong-web.service): it is compiled here, once, for
# that level (a worker that compiles and writes it at start holds ~3 MB more; docs/deploy.md, "Worker memory").
PYTHONOPTIMIZE=2 "$VENV/bin/python" -m compileall -q -j 0 "$VENV/lib" app >/dev/null
echo "installed: $("$VENV/bin/python" -c 'import sys; from importlib.metadata import version; print("Python", sys.version.split()[0], "Flask", version("flask"))'); next: the release step (docs/deploy.md)"
