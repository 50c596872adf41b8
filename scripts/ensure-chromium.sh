#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
# Installs the package when it is missing. Prints nothing on success.
set -uo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "Cài Chromium cho các bài kiểm thử trình duyệt…" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null 2>&1
