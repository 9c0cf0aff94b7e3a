#!/usr/bin/env bash
# CI for the nested otel module (OpenTelemetry for a Client): formatting,
# vet, and its tests (spans and metrics checked in memory against loopback
# APIs) under the race detector, and its benchmark once. A few seconds.
set -euo pipefail
cd "$(dirname "$0")/../otel"
export PATH="/usr/local/go/bin:$PATH"

echo "== otel: go mod download"
go mod download

echo "== otel: gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== otel: go vet"
go vet ./...

echo "== otel: go test -race"
go test -race -count=1 ./...

echo "== otel: the benchmark once, so that it cannot rot"
go test -run '^$' -bench . -benchtime 1x -benchmem -count=1 ./...

echo "== otel passed"
