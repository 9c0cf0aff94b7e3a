//go:build race

package httpstep

// The race detector slows every byte copied; the memory tests download less.
func init() { downloadTestSize = 32 << 20 }
