#!/usr/bin/env bash
# The README's first command is `npm install`; in a fresh clone it must leave `git status`
# clean. Clones the committed HEAD into a temp directory (so local edits and node_modules
# play no part), runs `npm install` there and fails, showing the diff, if anything changed.
# Run by .ci/run before `npm ci`. Needs the registry; about 10 s.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "$root" "$tmp/clone"
cd "$tmp/clone"
echo "[check-lockfile] npm $(npm --version): npm install in a fresh clone of $(git rev-parse --short HEAD)"
# --ignore-scripts: install scripts (bun's, deno's) never touch the lock file.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
changed="$(git status --porcelain)"
if [ -n "$changed" ]; then
  echo "[check-lockfile] npm install changed a fresh clone:" >&2
  echo "$changed" >&2
  git --no-pager diff --stat >&2
  git --no-pager diff -- package-lock.json | head -40 >&2 || true  # head closes the pipe early
  echo "[check-lockfile] The lock file is written by npm >= 11 (package.json devEngines.packageManager); npm 10, which Node 20 bundles, drops its libc fields. Commit the lock that \`npm install\` writes with npm >= 11." >&2
  exit 1
fi
echo "[check-lockfile] package-lock.json unchanged"
