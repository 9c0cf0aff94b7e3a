#!/usr/bin/env bash
# Durable delivery (the nested module durable/): vet, the SQLite tests under
# the race detector, the full 1,000-push load test, then every test again on
# PostgreSQL (build tag "postgres") on a throwaway cluster on loopback.
#
# Needs Debian's postgresql (installed when missing). Runs as root in CI:
# the server runs as the "postgres" user, since initdb refuses root.
set -euo pipefail
cd "$(dirname "$0")/../durable"
export PATH="/usr/local/go/bin:$PATH"

echo "== durable: go vet"
go vet ./...
go vet -tags postgres ./...

echo "== durable: SQLite tests and the example, -race"
go test -race -count=1 ./...

echo "== durable: the 1,000-push load test without -race"
go test -count=1 -run 'TestManyPushesExactlyOnce' -v . | grep -E 'pushes/s|^(ok|FAIL|---)'

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pgbin)" ]; then
  echo "== durable: installing postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pgbin)

# as_pg runs a command as the cluster's owner: postgres when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free loopback port: the first of 55432.. nothing listens on.
PORT=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done

PGDIR=$(mktemp -d /tmp/durable-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
stop_pg() {
  as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap stop_pg EXIT

echo "== durable: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off -c max_connections=200" >/dev/null
export HTTPSTEP_DURABLE_PG="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

echo "== durable: PostgreSQL tests (the same tests, two processes, SIGKILL and rescue)"
go test -count=1 -tags postgres -run 'postgres|Postgres' -v . | grep -E 'pushes/s|^(ok|FAIL|--- FAIL|--- PASS: Test)|^\s+--- FAIL'

echo "== durable passed"
