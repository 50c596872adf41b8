#!/usr/bin/env bash
# Installs everything TĐKT Flow needs into this checkout: a Python 3.11 virtualenv with the project and its
# test tools, the front-end packages copied into webapp/static/vendor and the diagram bundles built into
# webapp/static/build (scripts/bundle.sh). Idempotent: re-running is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
if ! command -v "$PY" >/dev/null 2>&1; then PY=python3; fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.tdkt-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # uv (PyPI) resolves and installs the project's wheels in a few seconds where pip takes ~25 s (docs/architecture.md).
  .venv/bin/python -m pip install --quiet uv
  .venv/bin/uv pip install --quiet --python .venv/bin/python -e '.[dev]'
  touch "$stamp"
fi

if [ ! -d node_modules/bootstrap ] || [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p webapp/static/vendor/bootstrap
cp node_modules/bootstrap/dist/css/bootstrap.min.css webapp/static/vendor/bootstrap/
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js webapp/static/vendor/bootstrap/  # the navbar's menu on phones
./scripts/bundle.sh  # bpmn-js viewer and modeler (docs/frontend.md); skipped when nothing changed

# The dossier's PDFs (WeasyPrint, processes/documents) are set in Liberation Serif — metric-compatible with Times New
# Roman, the face Nghị định 30/2020/NĐ-CP prescribes, and covering every Vietnamese letter. WeasyPrint also needs
# Pango; both come from Debian. HarfBuzz's subsetter cuts each PDF's fonts down to the glyphs it uses in
# milliseconds; without it WeasyPrint falls back to fontTools, about 0.2 s per document (docs/documents.md).
if ! fc-list ':lang=vi' family 2>/dev/null | grep -q 'Liberation Serif' || ! ldconfig -p | grep -q 'libpangoft2-1.0' \
   || ! ldconfig -p | grep -q 'libharfbuzz-subset'; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig >/dev/null
fi
