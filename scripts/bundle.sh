#!/usr/bin/env bash
# Bundles the front end (assets/ → webapp/static/build) with esbuild from npm: the case page's read-only viewer, the
# comparison of two versions (viewer + bpmn-js-differ, styled by viewer.css), the process editor with its form editor
# (CodeMirror 6 + codemirror-json-schema and the flattened 2020-12 meta-schema, loaded by the editor page only), the
# supervision dashboard's heat map (viewer + overlays, heatmap.css) and its charts (Chart.js); fonts beside
# them. Skipped when neither the sources, the
# lock file nor this script changed since the last build (a stamp of their checksums), so set-up stays fast.
set -euo pipefail
cd "$(dirname "$0")/.."

out=webapp/static/build
stamp="$out/.sources.sha256"
sum=$( (find assets -type f | LC_ALL=C sort | xargs sha256sum; sha256sum package-lock.json scripts/bundle.sh) | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -f "$out/modeler.js" ] && [ -f "$out/viewer.js" ] && [ -f "$out/differ.js" ] \
  && [ -f "$out/heatmap.js" ] && [ -f "$out/charts.js" ] && [ -f "$out/form-editor.js" ]; then
  exit 0
fi
rm -rf "$out"
node_modules/.bin/esbuild assets/viewer.js assets/modeler.js assets/differ.js assets/form-editor.js assets/viewer.css assets/modeler.css \
  assets/heatmap.js assets/heatmap.css assets/charts.js \
  --bundle --minify --format=iife --target=es2020 --outdir="$out" --log-level=warning \
  --jsx=automatic --jsx-import-source=@bpmn-io/properties-panel/preact \
  --loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
  --asset-names=fonts/[name]-[hash] --legal-comments=linked
echo "$sum" > "$stamp"
