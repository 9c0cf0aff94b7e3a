//go:build race

package httpstep

// The race detector slows every byte copied; TestUploadMemory (body_test.go)
// uploads less.
func init() { uploadTestSize = 32 << 20 }
