#!/bin/sh
# A throwaway PostgreSQL cluster for the test suite.
#   .ci/postgres.sh            start one; prints its URL on line 1 and its data folder on line 2
#   .ci/postgres.sh stop DIR   stop the cluster in DIR and remove DIR
# Run as root on Debian: installs the `postgresql` package if missing and runs the server as the
# `postgres` user, trusting connections from 127.0.0.1 only.
set -eu

fail() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

run_as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

if [ "${1:-start}" = stop ]; then
    dir=${2:?usage: postgres.sh stop DIR}
    BIN=$(bindir) || fail "no PostgreSQL installation found"
    [ -f "$dir/data/postmaster.pid" ] && run_as_postgres "'$BIN/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null
    rm -rf "$dir"
    exit 0
fi

if ! BIN=$(bindir); then
    [ "$(id -u)" = 0 ] || fail "the postgresql package is missing and only root can install it"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; } \
        >/dev/null 2>&1 || fail "cannot install Debian's postgresql package"
    BIN=$(bindir) || fail "postgresql installed but initdb not found"
fi
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres \
    || fail "cannot create the postgres user"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
run_as_postgres "'$BIN/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 --no-locale" \
    >"$dir/initdb.log" 2>&1 || fail "initdb failed (see $dir/initdb.log)"
# A test server: durability traded for speed, enough connections for parallel served processes.
opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
run_as_postgres "'$BIN/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"$opts\" start" \
    >/dev/null || fail "the server did not start (see $dir/server.log)"
echo "postgresql://postgres@127.0.0.1:$port/postgres"
echo "$dir"
