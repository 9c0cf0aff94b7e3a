//go:build race

package httpstep

// The race detector slows every byte copied; the memory test uploads less.
func init() { uploadTestSize = 32 << 20 }
