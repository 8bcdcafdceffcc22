#!/usr/bin/env bash
# `make run`'s last step: the development web server, the reminder scheduler and the mail catcher, together.
# Reminder e-mails go to the catcher (loopback, port DEV_MAIL_PORT) and are kept as .eml files in instance/mail/.
# Ctrl-C stops all three quietly; so does closing the terminal or `kill` of this script.
set -uo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
DEV_MAIL_PORT=${DEV_MAIL_PORT:-8025}
MAIL_DIR=${MAIL_DIR:-instance/mail}

export FLASK_APP=${FLASK_APP:-wsgi.py} LOG_FORMAT=text
# Development only: whatever MAIL_* the shell has, e-mails stay on this machine.
export MAIL_SERVER=127.0.0.1 MAIL_PORT=$DEV_MAIL_PORT MAIL_USE_TLS=0 MAIL_USERNAME= MAIL_PASSWORD=

children=()
stop() {
  trap - EXIT INT TERM HUP
  kill -TERM "${children[@]}" 2>/dev/null
  wait 2>/dev/null
  exit "${1:-0}"
}
trap 'stop 0' INT TERM HUP
trap 'stop $?' EXIT

"$BIN/python" -m app.devmail --host 127.0.0.1 --port "$DEV_MAIL_PORT" --dir "$MAIL_DIR" & children+=($!)
# The scheduler in a session of its own: a Ctrl-C in the terminal reaches only this script, which stops it with
# SIGTERM (it then stops its risk-refresh child itself, instead of the child dying of the Ctrl-C mid-start).
setsid "$BIN/flask" scheduler run & children+=($!)
"$BIN/flask" run --host "$HOST" --port "$PORT" & children+=($!)
# Whichever ends first (Ctrl-C, a crash, a port already in use) ends the others.
wait -n
stop $?
