#!/usr/bin/env bash
# CI for the nested bench module: formatting, vet, its tests (every
# contender's job checked against a strict server), and every benchmark
# once (-benchtime 1x) so that none can rot. Under a minute; the measured
# runs are bench/run.sh, by hand.
set -euo pipefail
cd "$(dirname "$0")/../bench"
export PATH="/usr/local/go/bin:$PATH"

echo "== bench: go mod download"
go mod download

echo "== bench: gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== bench: go vet"
go vet ./...

echo "== bench: go test"
go test -count=1 ./...

# The race detector only where goroutines share a client: parsing the 11 MB
# of rows under -race alone would take most of a minute.
echo "== bench: go test -race (ParallelGet)"
go test -race -count=1 -run 'TestParallel' ./...

echo "== bench: every benchmark once"
go test -run '^$' -bench . -benchtime 1x -benchmem -count=1 ./...

echo "== bench passed"
