//go:build race

package durable

// loadPushes is how many pushes the load test sends. The race detector
// slows the pure-Go SQLite engine about fiftyfold, so it checks the same
// properties on a tenth of the load.
const loadPushes = 100
