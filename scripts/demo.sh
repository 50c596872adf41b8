#!/usr/bin/env bash
# One command from a fresh checkout to a running demo: install, create the SQLite database, load the demo units,
# users and campaigns, and serve on http://127.0.0.1:${PORT:-5000} with several web workers and the timer worker
# sharing the database.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=webapp
# The demo is development, not production: without SECRET_KEY its signing key is generated once into
# instance/secret_key (0600) and shared by every worker. A production server sets TDKT_ENV=production and SECRET_KEY.
export TDKT_ENV=development
.venv/bin/flask --app webapp init-db
.venv/bin/flask --app webapp seed-demo
# gunicorn builds and warms the app once, then forks the workers from it (webapp/gunicorn_conf.py).
# The timer worker fires deadlines and reminders; it stops with this script.
.venv/bin/flask --app webapp timers run &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT
echo "TĐKT Flow: http://127.0.0.1:${PORT:-5000}  (đăng nhập: xem README, mật khẩu demo tdkt@2024)"
.venv/bin/gunicorn --config python:webapp.gunicorn_conf --workers "${WEB_WORKERS:-2}" --worker-class gthread --threads 4 --bind "127.0.0.1:${PORT:-5000}" --access-logfile - 'webapp:create_app()'
