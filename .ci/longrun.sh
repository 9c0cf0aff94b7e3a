#!/usr/bin/env bash
# Downloads at full size, without the race detector (which .ci/run uses and
# under which the memory tests shrink to 32 MiB and the 2 GiB stream is
# skipped): a 256 MiB download and a download piped into an upload must
# allocate under 4 MiB, and a 2 GiB stream must stop at the 1 GiB cap with
# nothing left on disk. Needs about 1.3 GiB free in TMPDIR; ~15 s.
# Hostile answers at full size (HTTPSTEP_LONGRUN): 30 MiB of "[" under a
# business-code rule must not overflow the stack; 30 MiB of UTF-16 that
# converts past the 32 MiB limit must allocate under 80 MiB; Rows on five
# million zeros must allocate under 8 times its 10 MB body.
# Call it from .ci/run as: bash .ci/longrun.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go test -count=1 -v -run 'TestDownloadMemory|TestDownloadThenUpload|TestDownloadCapped' . | grep -E '^(=== RUN|--- |\s+download_test|ok|FAIL|PASS)'
go test -count=1 -run 'TestSaveConstantMemory' ./internal/download
HTTPSTEP_LONGRUN=1 go test -count=1 -v -run 'TestDeepBodyStack|TestCharsetMemory|TestRowsMemory' . | grep -E '^(--- |ok|FAIL|PASS)'
