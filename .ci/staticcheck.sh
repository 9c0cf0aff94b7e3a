#!/usr/bin/env bash
# Runs staticcheck, pinned, on the root module and every nested module:
# once with its default checks (tests included), and once for unexported
# production code that only tests use (U1000 without the tests), which
# belongs in a _test.go file or should be used by the code it was made for.
# Exits non-zero on any finding. Call it from .ci/run as: bash .ci/staticcheck.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

# The newest release that supports the go directive of go.mod (Go 1.26):
# 2026.2.2. Raise it together with the go directive.
staticcheck="honnef.co/go/tools/cmd/staticcheck@v0.8.2"

status=0
for mod in $(find . -name go.mod -not -path './testdata/*' -not -path '*/vendor/*' | sort); do
  dir=$(dirname "$mod")
  echo "-- staticcheck $dir"
  (cd "$dir" && go run "$staticcheck" ./...) || status=1
  if [ "$dir" = ./bench ]; then
    continue # the bench module is test support: its code is there for its benchmarks
  fi
  echo "-- staticcheck -tests=false -checks U1000 $dir (production code only tests use)"
  (cd "$dir" && go run "$staticcheck" -tests=false -checks U1000 ./...) || status=1
done
exit "$status"
