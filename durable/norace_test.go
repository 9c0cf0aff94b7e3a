//go:build !race

package durable

// loadPushes is how many pushes the load test sends.
const loadPushes = 1000
