#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests: start the local cluster if it is
# installed but stopped; install Debian's package and start it if it is missing. Prints nothing on success.
set -uo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; }
ready && exit 0
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "PostgreSQL chưa được cài: cài gói postgresql của Debian…" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi
  ver=$(ls /etc/postgresql | head -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  # Local test server only: trust connections from this machine, as the CI machine's server does.
  sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/; s/^\(local\s\+all\s\+postgres\s\+\)\S\+/\1trust/' "$hba"
fi
ver=$(ls /etc/postgresql | head -1)
pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || pg_ctlcluster "$ver" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "Không khởi động được PostgreSQL trên 127.0.0.1:5432" >&2
exit 1
