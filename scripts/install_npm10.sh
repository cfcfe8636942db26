#!/usr/bin/env bash
# Install npm 10 (the newest 10.x release on the npm registry) into .cache/npm10, the oracle of
# `snpm hook`: npm 11 removed the `hook` command, so tests/e2e/test_hook_differential.py runs npm 10's
# next to snpm's (and skips when it is missing). Installed with the machine's npm, scripts off (npm
# needs none: its dependencies are bundled). Idempotent: when an npm 10.x is already there it
# returns at once (NPM10_VERSION pins another 10.x release, e.g. NPM10_VERSION=10.9.9). The folder
# ignores itself (its own .gitignore), so nothing in it is ever committed. Without npm on the
# machine it does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=${NPM10_VERSION:-10}
dest=.cache/npm10
installed="$dest/node_modules/npm/package.json"

if [ -f "$installed" ]; then
  have=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$installed")
  if [ "$wanted" = "10" ] && [ "${have%%.*}" = "10" ] || [ "$have" = "$wanted" ]; then
    [ -f "$dest/.gitignore" ] || printf '*\n' >"$dest/.gitignore"
    exit 0
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_npm10: npm is not installed; the npm 10 (hook) tests will be skipped" >&2
  exit 0
fi

mkdir -p "$dest"
printf '*\n' >"$dest/.gitignore"
cat >"$dest/package.json" <<JSON
{
  "name": "snpm-test-npm10",
  "private": true,
  "description": "npm 10, the oracle of snpm's hook command (scripts/install_npm10.sh)"
}
JSON
npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts --no-save --loglevel=error \
  "npm@$wanted" >&2
