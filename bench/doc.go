// Package bench measures httpstep beside the ways a Go engineer would do the
// same job without it: bare net/http, github.com/go-resty/resty/v2 and
// github.com/hashicorp/go-retryablehttp, each used as its own documentation
// recommends, against one in-process loopback server.
//
// It is a nested module so that the core's go.mod never lists the peers.
// Run the suite with bench/run.sh; BENCHMARKS.md at the repository root
// holds the results and says how to read them.
package bench
