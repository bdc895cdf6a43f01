#!/usr/bin/env bash
# Makes sure a PostgreSQL server binary is on the machine for the tests (they start their own
# throw-away cluster on loopback). Installs Debian's package when it is missing.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${PLEXBOOKS_TEST_DATABASE_SERVER_URL:-}" ] || [ "${PLEXBOOKS_TEST_DATABASES:-}" = sqlite ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "PostgreSQL is needed by the tests: install the 'postgresql' package, or set PLEXBOOKS_TEST_DATABASE_SERVER_URL" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing PostgreSQL (apt-get) for the tests..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
