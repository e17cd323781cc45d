#!/usr/bin/env bash
# Installs what the real-client tests need: Node.js and npm (from Debian when missing) and the
# npm Harvest clients pinned in tests/clients/node/package-lock.json. Idempotent; as root on a
# fresh Debian machine. Fails with one clear line when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "clients.sh: $*" >&2; exit 1; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || fail "node and npm are missing and this is not root: install nodejs and npm"
  command -v apt-get >/dev/null 2>&1 || fail "node and npm are missing and apt-get is not available"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm \
      >/dev/null; } >/dev/null 2>&1 || fail "could not install nodejs and npm from Debian"
fi

(cd tests/clients/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) \
  || fail "npm ci failed in tests/clients/node (is the npm registry reachable?)"
echo "clients.sh: node $(node --version), npm clients installed in tests/clients/node"
