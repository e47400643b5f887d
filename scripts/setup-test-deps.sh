#!/usr/bin/env bash
# What `npm test` needs beyond `npm ci`: Debian's Chromium for the browser smoke test
# (Playwright's own browser download is refused on this network). Idempotent.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -x /usr/bin/chromium ]; then
  echo "[setup-test] chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
else
  echo "[setup-test] installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
