package httpstep

import (
	"context"
	"iter"
	"sync"
)

// Each runs s once per element of params with at most concurrency
// (default 1) requests in flight, and calls fn with each row's index, Result
// and error in input order, from the calling goroutine. It holds no more
// than concurrency results: a slow row holds back the rows after it, so
// memory stays bounded however long params is. params is read on the
// calling goroutine too. The Client's Limits and Breaker apply.
//
// fn returning false stops Each: nothing new is sent and Each returns nil.
// Under the "terminate" policy the first failure also stops it: fn gets
// that row with the *Failure as err, and Each returns the failure. Under
// "continue" a failed row reaches fn as a Result with Failure set and a nil
// err, and Each goes on. When ctx ends, Each stops sending and returns the
// context's error promptly, without calling fn for the rows in flight.
// Whenever Each stops early, the rows still in flight are canceled and
// their results dropped; no goroutine outlives the call. A nil s, params or
// fn is an error that names the missing argument, returned before anything
// is sent.
func (c *Client) Each(ctx context.Context, s *Step, params iter.Seq[Params], concurrency int, fn func(i int, res *Result, err error) bool) error {
	switch {
	case s == nil:
		return &eachError{Missing: "a compiled Step (NodeConfig.Compile)"}
	case params == nil:
		return &eachError{Missing: "a sequence of parameters"}
	case fn == nil:
		return &eachError{Missing: "a function to receive the results"}
	}
	if c == nil {
		c = DefaultClient
	}
	ctx, cancel := context.WithCancel(ctx)
	w := newWindow(max(concurrency, 1))
	defer w.wg.Wait() // after cancel: no row outlives Each
	defer cancel()
	i := 0
	for p := range params {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.start(ctx, c, s, i, p)
		i++
		if w.full() { // deliver before reading on: at most concurrency rows held
			if done, err := w.deliver(ctx, fn); done {
				return err
			}
		}
	}
	for w.n > 0 {
		if done, err := w.deliver(ctx, fn); done {
			return err
		}
	}
	return nil
}

// eachError is an Each call that cannot start because an argument is nil:
// a mistake in the host's code, which it fixes rather than handles, so the
// type is not exported.
type eachError struct {
	Missing string // what the call lacks
}

// Error says what to pass.
func (e *eachError) Error() string { return errorPrefix + "Each needs " + e.Missing + ", not nil" }

// row is one finished run of Each.
type row struct {
	i   int
	res *Result
	err error
}

// window is Each's rows in flight or finished but not yet delivered, in
// input order: a ring of one-result channels.
type window struct {
	slots   []chan row
	head, n int
	wg      sync.WaitGroup
}

func newWindow(size int) *window {
	w := &window{slots: make([]chan row, size)}
	for k := range w.slots {
		w.slots[k] = make(chan row, 1)
	}
	return w
}

func (w *window) full() bool { return w.n == len(w.slots) }

// start runs row i in its own goroutine, into the slot after the last.
func (w *window) start(ctx context.Context, c *Client, s *Step, i int, p Params) {
	slot := w.slots[(w.head+w.n)%len(w.slots)]
	w.n++
	w.wg.Go(func() {
		res, err := c.Run(ctx, s, p)
		slot <- row{i, res, err}
	})
}

// deliver waits for the oldest row and hands it to fn. done reports that
// Each must stop, with err as its result.
func (w *window) deliver(ctx context.Context, fn func(int, *Result, error) bool) (done bool, err error) {
	var r row
	select {
	case r = <-w.slots[w.head]:
	case <-ctx.Done():
		return true, ctx.Err()
	}
	w.head, w.n = (w.head+1)%len(w.slots), w.n-1
	if err := ctx.Err(); err != nil {
		return true, err // the row may have been cut short by the cancellation
	}
	more := fn(r.i, r.res, r.err)
	if r.err != nil {
		return true, r.err
	}
	return !more, nil
}
