#!/usr/bin/env bash
# What `npm test` needs beyond the npm packages (`npm install`; CI uses `npm ci`): Debian's
# Chromium for the browser smoke test (Playwright's own browser download is refused on this
# network) and Debian's PostgreSQL for the store tests. Idempotent.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -x /usr/bin/chromium ]; then
  echo "[setup-test] chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
else
  echo "[setup-test] installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Debian's PostgreSQL server binaries for the store and restart tests (test/helpers/postgres.ts
# runs its own throw-away cluster; the package's default cluster is not wanted, so it is not
# created).
if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "[setup-test] postgresql present: $(ls -d /usr/lib/postgresql/*/bin/initdb | head -1)"
else
  echo "[setup-test] installing Debian's postgresql"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common >/dev/null
  as_root sed -i 's/^#\?[[:space:]]*create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# Debian's curl and iperf3: unmodified TCP applications that the stream forwarding tests run
# across the emulated network (test/e2e/forward-*.test.ts).
missing=()
for tool in curl iperf3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup-test] curl and iperf3 present: $(iperf3 --version 2>/dev/null | head -1)"
else
  echo "[setup-test] installing Debian's ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
