//go:build race

package durable

// loadPushes is how many pushes the load test sends. The race detector
// slows the pure-Go SQLite engine about fiftyfold, so it checks the same
// properties on a tenth of the load.
const loadPushes = 100

// callbackLoad is how many deliveries wait at once in the callback
// concurrency test; a fifth under the race detector, for the same reason.
const callbackLoad = 20
