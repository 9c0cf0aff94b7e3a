#!/usr/bin/env bash
# The cURL import (package curl) and export (NodeConfig.Curl, in the root)
# against the real curl (the referee of issue 16): installs curl when
# missing and runs the tests that compare what curl and httpstep send,
# which fail rather than skip here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
if ! command -v curl >/dev/null; then
  apt-get update -qq && apt-get install -y -qq curl >/dev/null
fi
curl --version | head -1
HTTPSTEP_REQUIRE_CURL=1 go test -race -count=1 -run 'TestCurlReferee|TestCurlRefereeCorpus' ./curl
HTTPSTEP_REQUIRE_CURL=1 go test -race -count=1 -run 'TestCurlExportRuns' .
