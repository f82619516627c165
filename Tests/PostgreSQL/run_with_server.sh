#!/bin/sh
# Runs CMD... against a throwaway PostgreSQL server: installs Debian's postgresql when its binaries are
# missing, creates a cluster in a temporary directory (initdb as the `postgres` user when run as root: the
# server refuses to run as root), starts it on a Unix socket in that directory and a free port, exports
#   UNARGMAX_TEST_POSTGRES_URL=postgresql://postgres@/postgres?host=DIR&port=PORT
# runs CMD, then stops the server and deletes the cluster, also when CMD fails or is interrupted.
# Exit status: CMD's. Usage: Tests/PostgreSQL/run_with_server.sh pytest -q Tests/CrossChecks/test_results_postgres.py
set -eu

if [ "$#" -eq 0 ]; then echo "usage: $0 CMD [ARGS...]" >&2; exit 2; fi

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    echo "Installing Debian's postgresql (for the PostgreSQL tests)" >&2
    # The package's own cluster is not used; policy-rc.d keeps apt from starting it.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || {
        $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    }
fi
BIN=$(bindir)

DIR=$(mktemp -d "${TMPDIR:-/tmp}/unargmax-postgres.XXXXXX")
as_server() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    as_server() { runuser -u postgres -- "$@"; }
    chown postgres "$DIR"
    # A private TMPDIR (Tests/check_no_temp_leftovers.sh makes one, mode 700) is closed to `postgres`.
    if ! as_server test -w "$DIR"; then
        rmdir "$DIR"
        DIR=$(mktemp -d /tmp/unargmax-postgres.XXXXXX)
        chown postgres "$DIR"
    fi
fi
cleanup() {
    status=$?
    if [ -f "$DIR/data/postmaster.pid" ]; then
        as_server "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 || {
    cat "$DIR/initdb.log" >&2; exit 1; }
as_server "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-k $DIR -p $PORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off" start >/dev/null || {
    cat "$DIR/server.log" >&2; exit 1; }

export UNARGMAX_TEST_POSTGRES_URL="postgresql://postgres@/postgres?host=$DIR&port=$PORT"
set +e
"$@"
status=$?
set -e
exit "$status"
