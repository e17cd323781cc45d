#!/usr/bin/env bash
# need.sh COMPONENT...: make sure what the tests need is installed, or fail the run loudly.
# Components: chromium, docker, postgresql, node. Missing ones are installed from Debian's
# packages (root, apt-get); one that still is not there ends the run with one clear line, so a
# test suite never turns a missing component into silent skips.
#   .ci/need.sh chromium docker postgresql node
set -uo pipefail
updated=""

have() {
  case $1 in
    chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ;;
    docker) command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 \
              && command -v docker-compose >/dev/null 2>&1 ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 ;;
    node) command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ;;
    *) echo "need.sh: unknown component '$1' (chromium, docker, postgresql, node)" >&2; exit 2 ;;
  esac
}

packages() {
  case $1 in
    chromium) echo chromium ;;
    docker) echo docker.io docker-compose ;;
    postgresql) echo postgresql ;;
    node) echo nodejs npm ;;
  esac
}

for component in "$@"; do
  have "$component" && continue
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ -z "$updated" ]; then apt-get update -qq >/dev/null 2>&1; updated=1; fi
    # shellcheck disable=SC2046
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      $(packages "$component") >/dev/null 2>&1
  fi
  have "$component" || {
    echo "need.sh: FAILED: $component is required by the tests and could not be installed" \
         "(apt-get install $(packages "$component"))" >&2
    exit 1
  }
done
echo "need.sh: ok: $*"
