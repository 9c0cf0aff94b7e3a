package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines once the shared server of the
// benchmarks is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(closingM{m})
}

// closingM closes the shared server after the tests and benchmarks.
type closingM struct{ m *testing.M }

func (c closingM) Run() int {
	defer closeShared()
	return c.m.Run()
}
