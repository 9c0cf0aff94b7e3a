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

{
  echo "# $(go version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# COUNT=$count BENCHTIME=$benchtime BENCH=$pattern bench/run.sh"
} >"$out"
for i in $(seq "$count"); do
  echo "round $i of $count" >&2
  "$tmp/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchmem \
    -test.count 1 -test.benchtime "$benchtime" | grep -v '^\(PASS\|ok\)' >>"$out"
done

# Name each contender as a key (BenchmarkGetJSON/peer=nethttp) so that
# benchstat can put the contenders side by side in columns.
sed -E 's#^(Benchmark[A-Za-z0-9]+)/([A-Za-z0-9-]+)-([0-9]+)#\1/peer=\2-\3#' "$out" >"$tmp/named.txt"

echo
echo "== Raw results: $out"
echo
echo "== Requests: ratio to net/http"
"$tmp/benchstat" -filter '-.name:Rows' -row .name \
  -col '/peer@(nethttp httpstep httpstep-execute httpstep-json httpstep-summary resty retryablehttp)' "$tmp/named.txt"
echo
echo "== Rows: ratio to encoding/json"
"$tmp/benchstat" -filter '.name:Rows' -row .name \
  -col '/peer@(encodingjson httpstep httpstep-execute encodingjson-map)' "$tmp/named.txt"
