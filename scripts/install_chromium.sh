#!/usr/bin/env bash
# Install Debian's Chromium, which the website's screenshot tests drive headless
# (tests/e2e/test_registry_website.py). Idempotent: when /usr/bin/chromium exists it returns at once.
# It needs root (or passwordless sudo) and apt; without them it does nothing, and the screenshot
# tests skip.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: apt-get is not available; the screenshot tests will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install_chromium: not root and no passwordless sudo; the screenshot tests will be skipped" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# the package lists may be missing or stale on a fresh machine: refresh once, then install
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
