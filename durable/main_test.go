package durable

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// child, when set, runs this test binary as a worker process of a
// multi-process test instead of running tests (postgres_test.go).
var child func() int

func TestMain(m *testing.M) {
	if child != nil {
		os.Exit(child())
	}
	goleak.VerifyTestMain(m)
}
