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

# verbose runs a verbose go test, printing the throughput lines and the
# verdict, or everything when it fails.
verbose() {
  local log; log=$(mktemp)
  if ! go test "$@" -v . >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 1; fi
  grep -E 'pushes/s|rescued|^(ok|PASS)' "$log" || true
  rm -f "$log"
}

echo "== durable: the 1,000-push load test without -race"
verbose -count=1 -run 'TestManyPushesExactlyOnce'

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

PGDIR=$(mktemp -d /tmp/durable-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDIR"; fi
stop_pg() {
  as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap stop_pg EXIT
as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >/dev/null

# Start on a random free loopback port; another program may take the port
# between the check and the bind, so try a few.
for try in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then continue; fi
  if as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off -c max_connections=200" >/dev/null; then
    break
  fi
  if [ "$try" = 5 ]; then cat "$PGDIR/log"; exit 1; fi
done
echo "== durable: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
export HTTPSTEP_DURABLE_PG="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

echo "== durable: PostgreSQL tests (the same tests, two processes, SIGKILL and rescue)"
verbose -count=1 -tags postgres -run '/postgres'

echo "== durable passed"
