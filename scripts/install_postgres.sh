#!/usr/bin/env bash
# Install PostgreSQL's server binaries (initdb, pg_ctl, postgres) from Debian's packages for the
# registry's PostgreSQL tests: tests/support/postgres.py starts a throwaway cluster with them, and
# skips those tests when they are missing. Idempotent and quick: when initdb and pg_ctl are found (on
# PATH or in Debian's /usr/lib/postgresql/<version>/bin) it returns at once. Needs apt-get and root
# (CI runs as root; elsewhere it uses sudo). Debian's package would create and start a default
# cluster; that is switched off before installing (the tests start their own, on a free port).
set -euo pipefail

found() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    return 0
  fi
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

if found; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_postgres: no apt-get here; install PostgreSQL (initdb, pg_ctl) yourself, or the PostgreSQL tests skip" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install_postgres: need root (or sudo) to install PostgreSQL; the PostgreSQL tests will skip" >&2
    exit 0
  fi
  sudo="sudo"
fi

# no default cluster (postgresql-common reads createcluster.d before creating "main")
$sudo mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/snpm-no-main-cluster.conf >/dev/null

export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -qq --no-install-recommends postgresql >&2; then
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
fi
found || { echo "install_postgres: PostgreSQL was installed, but initdb/pg_ctl are not where expected" >&2; exit 1; }
