#!/usr/bin/env bash
# run.sh runs the peer benchmarks and prints benchstat tables, every peer
# beside httpstep with its ratio to the column on the left-most (net/http,
# or encoding/json for Rows).
#
# The contenders are interleaved: one -count 1 round over every benchmark
# and contender, repeated COUNT times, so load from elsewhere on the machine
# hits all of them alike. Besides wall time (sec/op) every benchmark reports
# cpu-ns/op, the process's CPU time per op, which a loaded machine disturbs
# far less.
#
# Environment: COUNT (rounds, default 10), BENCHTIME (per benchmark and
# round, default 0.5s), BENCH (the -bench pattern, default .), OUT (the raw
# results file, default bench/results.txt). About 3-5 minutes on 2 cores.
#
# BASE (a git revision) also builds the benchmarks of that revision and runs
# them in every round, alternating with this tree's, so that before and
# after see the same load: their raw results go to OUT_BASE (default
# bench/results-base.txt), and a last table compares the two.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:$PATH"

count=${COUNT:-10}
benchtime=${BENCHTIME:-0.5s}
pattern=${BENCH:-.}
out=${OUT:-results.txt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/bench.test" .
go build -o "$tmp/benchstat" golang.org/x/perf/cmd/benchstat
base=${BASE:-}
out_base=${OUT_BASE:-results-base.txt}
if [ -n "$base" ]; then
  mkdir "$tmp/base"
  git -C "$(git rev-parse --show-toplevel)" archive "$base" | tar -x -C "$tmp/base"
  (cd "$tmp/base/bench" && go test -c -o "$tmp/base.test" .)
fi

# round runs one -count 1 round of the test binary $1, appending to $2.
round() {
  "$1" -test.run '^$' -test.bench "$pattern" -test.benchmem \
    -test.count 1 -test.benchtime "$benchtime" | grep -v '^\(PASS\|ok\)' >>"$2"
}

{
  echo "# $(go version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# COUNT=$count BENCHTIME=$benchtime BENCH=$pattern bench/run.sh"
} >"$out"
if [ -n "$base" ]; then
  { echo "# BASE=$base ($(git rev-parse --short "$base"))"; sed 1,2p -n "$out"; } >"$out_base"
fi
for i in $(seq "$count"); do
  echo "round $i of $count" >&2
  if [ -n "$base" ]; then
    round "$tmp/base.test" "$out_base"
  fi
  round "$tmp/bench.test" "$out"
done

# Name each contender as a key (BenchmarkGetJSON/peer=nethttp) so that
# benchstat can put the contenders side by side in columns.
named() {
  sed -E 's#^(Benchmark[A-Za-z0-9]+)/([A-Za-z0-9-]+)-([0-9]+)#\1/peer=\2-\3#' "$1"
}

# tables prints the benchstat tables of the raw results $1.
tables() {
  named "$1" >"$tmp/named.txt"
  if grep -q '^Benchmark[A-QS-Z]' "$1"; then
    echo
    echo "== Requests: ratio to net/http ($1)"
    "$tmp/benchstat" -filter '-.name:Rows' -row .name \
      -col '/peer@(nethttp httpstep httpstep-execute httpstep-json httpstep-summary resty retryablehttp)' "$tmp/named.txt"
  fi
  if grep -q '^BenchmarkRows' "$1"; then
    echo
    echo "== Rows: ratio to encoding/json ($1)"
    "$tmp/benchstat" -filter '.name:Rows' -row .name \
      -col '/peer@(encodingjson httpstep httpstep-execute encodingjson-map)' "$tmp/named.txt"
  fi
}

echo
echo "== Raw results: $out"
tables "$out"
if [ -n "$base" ]; then
  tables "$out_base"
  echo
  echo "== Before ($base) and after, every contender"
  "$tmp/benchstat" before="$out_base" after="$out"
fi
