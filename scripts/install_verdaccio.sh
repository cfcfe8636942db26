#!/usr/bin/env bash
# Install Verdaccio 5.33.0 (a real peer registry the differential tests run against) into
# .cache/verdaccio with the real npm from the npm registry. Idempotent: when that version is already
# installed it returns at once. `node-fetch` is pinned to 2.7.0 through package.json "overrides", so
# every install resolves the same node-fetch whatever Verdaccio's own range would pick today.
# Without npm on the machine it does nothing (the Verdaccio tests then skip).
set -euo pipefail
cd "$(dirname "$0")/.."

version=5.33.0
dest=.cache/verdaccio
installed="$dest/node_modules/verdaccio/package.json"

if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed" \
  && [ -f "$dest/node_modules/node-fetch/package.json" ] \
  && grep -q '"version": "2.7.0"' "$dest/node_modules/node-fetch/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_verdaccio: npm is not installed; the Verdaccio tests will be skipped" >&2
  exit 0
fi

mkdir -p "$dest"
cat >"$dest/package.json" <<JSON
{
  "name": "snpm-test-verdaccio",
  "private": true,
  "description": "Verdaccio for snpm's differential tests (scripts/install_verdaccio.sh)",
  "dependencies": {
    "verdaccio": "$version"
  },
  "overrides": {
    "node-fetch": "2.7.0"
  }
}
JSON
# no install scripts: Verdaccio needs none, and skipping them keeps the install quick and contained
npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts --loglevel=error >&2
