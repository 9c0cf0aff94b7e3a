package durable

import (
	"fmt"
	"time"
)

// ValueError is returned by Enqueue when a parameter value cannot be stored:
// a Secret without Config.Secrets, a File without Config.Files, one of them
// inside a list, or a value that is not JSON. Nothing is stored.
type ValueError struct {
	Ref    string // the value's ref, e.g. "org.apiKey"; empty when it concerns all values
	Reason string
}

func (e *ValueError) Error() string {
	if e.Ref == "" {
		return "httpstep: durable: the values " + e.Reason
	}
	return fmt.Sprintf("httpstep: durable: value %q %s", e.Ref, e.Reason)
}

// ResolveError is an attempt's failure to get a Secret or File through
// Config.Secrets or Config.Files. Nothing was sent; the attempt is retried
// like a network failure, since the store behind the resolver may be down.
type ResolveError struct {
	Ref string
	Err error
}

func (e *ResolveError) Error() string {
	return fmt.Sprintf("httpstep: durable: resolving value %q at send time failed, nothing was sent: %v", e.Ref, e.Err)
}

// Unwrap returns the resolver's error.
func (e *ResolveError) Unwrap() error { return e.Err }

// UnknownDeliveryError is returned by Delivery for an id the queue does not
// hold: never enqueued in this database, or removed by River after its
// retention period (Config.Retention).
type UnknownDeliveryError struct {
	ID int64
}

func (e *UnknownDeliveryError) Error() string {
	return fmt.Sprintf("httpstep: durable: no delivery %d in this queue: check the id, or raise Config.Retention if it finished long ago", e.ID)
}

// DriverError is returned by a transactional enqueue given the other
// database's transaction: EnqueueTx needs a Queue from OpenSQLite,
// EnqueuePgxTx one from OpenPostgres.
type DriverError struct {
	Method string // "EnqueueTx" or "EnqueuePgxTx"
	Needs  string // "OpenSQLite" or "OpenPostgres"
}

func (e *DriverError) Error() string {
	return fmt.Sprintf("httpstep: durable: %s needs a Queue from %s", e.Method, e.Needs)
}

// TimeoutError is returned by Enqueue for a node whose timeout does not fit
// in Config.RescueAfter with the margin: River would rescue, and so send
// again, a delivery still running.
type TimeoutError struct {
	Timeout, RescueAfter time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("httpstep: durable: the node's timeout %v plus the %v margin reaches Config.RescueAfter %v: raise RescueAfter or shorten the timeout", e.Timeout, attemptMargin, e.RescueAfter)
}
