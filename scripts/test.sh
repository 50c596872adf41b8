#!/usr/bin/env bash
# One command from a fresh checkout to the whole test suite, on SQLite and on PostgreSQL.
# With CI=true a PostgreSQL that cannot be reached fails the run instead of skipping its half.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if ! ./scripts/ensure-postgres.sh; then
  if [ "${CI:-}" = "true" ]; then echo "CI: PostgreSQL là bắt buộc" >&2; exit 1; fi
  echo "Cảnh báo: không có PostgreSQL, các bài kiểm thử trên PostgreSQL sẽ bị bỏ qua." >&2
fi
if ! ./scripts/ensure-chromium.sh; then
  if [ "${CI:-}" = "true" ]; then echo "CI: Chromium là bắt buộc cho kiểm thử trình duyệt" >&2; exit 1; fi
  echo "Cảnh báo: không có Chromium, các bài kiểm thử trình duyệt sẽ bị bỏ qua." >&2
fi
export TDKT_PASSWORD_METHOD="pbkdf2:sha256:1000"  # cheap hashes for test users; production uses scrypt
# On every core (pytest-xdist): each worker seeds its own SQLite and PostgreSQL databases once (tests/conftest.py).
# worksteal: a worker that runs dry takes pending tests from a busy one, so one long test (the four timer-worker
# processes) does not leave a queue of short ones waiting behind it. Arguments given later win (e.g. -n 0).
exec .venv/bin/python -m pytest -n auto --dist worksteal "$@"
