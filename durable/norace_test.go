//go:build !race

package durable

// loadPushes is how many pushes the load test sends.
const loadPushes = 1000

// callbackLoad is how many deliveries wait at once in the callback
// concurrency test.
const callbackLoad = 100
