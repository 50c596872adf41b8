#!/usr/bin/env bash
# One command from a fresh checkout to a running demo: install, create the SQLite database, load the demo units,
# users and campaigns, and serve on http://127.0.0.1:${PORT:-5000} with several web workers sharing the database.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=webapp
.venv/bin/flask --app webapp init-db
.venv/bin/flask --app webapp seed-demo
echo "TĐKT Flow: http://127.0.0.1:${PORT:-5000}  (đăng nhập: xem README, mật khẩu demo tdkt@2024)"
exec .venv/bin/gunicorn --workers "${WEB_WORKERS:-2}" --worker-class gthread --threads 4 --bind "127.0.0.1:${PORT:-5000}" --access-logfile - 'webapp:create_app()'
