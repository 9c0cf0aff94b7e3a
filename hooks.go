package httpstep

import (
	"context"
	"net/http"
)

// Hooks are callbacks a Client fires as it runs a node, for tracing and
// metrics (the otel module is built on them), in the style of
// net/http/httptrace.ClientTrace: every field is optional and a nil func is
// skipped; a Client whose Hooks is nil pays one comparison per event.
//
// The Start hooks return the context the run, page, poll or attempt goes
// on with (a tracer puts its span there); returning nil keeps the context
// they were given. Each Done hook gets the context its Start returned.
// Pages nest in the run; polls in the run; attempts in their page or poll
// (or directly in the run). Redirects are reported, with the attempt's
// context, as the attempt meets them; token requests when the attempt that
// made them ends.
//
// Every record a hook gets is redacted as the history is, and is the
// Client's: read it during the call, never change or keep it. Hooks are
// called on the goroutine of the run, and several runs call them at once.
type Hooks struct {
	// RunStart is called when Run (or Execute) begins a run.
	RunStart func(ctx context.Context) context.Context
	// RunDone is called with the run's Result when the run ends.
	RunDone func(ctx context.Context, res *Result)
	// PageStart is called before each page of a paginated pull; page
	// counts from 1.
	PageStart func(ctx context.Context, page int) context.Context
	// PageDone is called with the page's own Result.
	PageDone func(ctx context.Context, res *Result)
	// PollStart is called before each poll of a long-running job; poll
	// counts from 1.
	PollStart func(ctx context.Context, poll int) context.Context
	// PollDone is called with the poll's own Result.
	PollDone func(ctx context.Context, res *Result)
	// AttemptStart is called before attempt n (counting from 1 within one
	// request, so n-1 is the number of resends) waits for admission.
	AttemptStart func(ctx context.Context, n int) context.Context
	// InjectTraceContext adds the trace context headers (such as W3C
	// traceparent and tracestate) to the attempt's request. It is called
	// for each request the attempt sends (a resend after a credentials
	// challenge too), with the attempt's context, before the request is
	// signed and recorded, so the history shows what was sent. Token
	// requests do not get them, nor the requests of a node that sets
	// NoTraceContext (for an API that refuses unknown headers).
	InjectTraceContext func(ctx context.Context, h http.Header)
	// AttemptDone is called with a copy of the attempt's record when it
	// ends, numbered (N, Poll) as the run's history numbers it.
	AttemptDone func(ctx context.Context, a *Attempt)
	// TokenRequest is called, before AttemptDone, with the record of each
	// exchange the attempt made for its credentials before its final
	// request: token requests (Auth is RecordToken) and requests answered
	// with a challenge or an expired token (RecordChallenge,
	// RecordExpired). Its Start and Duration say when it ran.
	TokenRequest func(ctx context.Context, a *Attempt)
	// Redirect is called for each redirect the attempt meets, as its
	// answer arrives (before the next request of the chain is sent), in
	// order, with the attempt's context.
	Redirect func(ctx context.Context, r *RedirectRecord)
}

// started returns what a Start hook gave, or ctx when it gave nil.
func started(ctx, next context.Context) context.Context {
	if next == nil {
		return ctx
	}
	return next
}

func (h *Hooks) runStart(ctx context.Context) context.Context {
	if h == nil || h.RunStart == nil {
		return ctx
	}
	return started(ctx, h.RunStart(ctx))
}

func (h *Hooks) runDone(ctx context.Context, res *Result) {
	if h != nil && h.RunDone != nil {
		h.RunDone(ctx, res)
	}
}

func (h *Hooks) pageStart(ctx context.Context, page int) context.Context {
	if h == nil || h.PageStart == nil {
		return ctx
	}
	return started(ctx, h.PageStart(ctx, page))
}

func (h *Hooks) pageDone(ctx context.Context, res *Result) {
	if h != nil && h.PageDone != nil {
		h.PageDone(ctx, res)
	}
}

func (h *Hooks) pollStart(ctx context.Context, poll int) context.Context {
	if h == nil || h.PollStart == nil {
		return ctx
	}
	return started(ctx, h.PollStart(ctx, poll))
}

func (h *Hooks) pollDone(ctx context.Context, res *Result) {
	if h != nil && h.PollDone != nil {
		h.PollDone(ctx, res)
	}
}

func (h *Hooks) attemptStart(ctx context.Context, n int) context.Context {
	if h == nil || h.AttemptStart == nil {
		return ctx
	}
	return started(ctx, h.AttemptStart(ctx, n))
}

func (h *Hooks) injectTraceContext(ctx context.Context, req *http.Request) {
	if h != nil && h.InjectTraceContext != nil && req != nil {
		h.InjectTraceContext(ctx, req.Header)
	}
}

func (h *Hooks) redirect(ctx context.Context, r *RedirectRecord) {
	if h != nil && h.Redirect != nil {
		h.Redirect(ctx, r)
	}
}

// attemptDone reports the attempt's token requests, then the attempt, each
// a copy of its record numbered as the history numbers it (seq), so that
// neither the caller's outcome escapes nor a hook can write into the
// history.
func (h *Hooks) attemptDone(ctx context.Context, seq historySeq, out outcome) {
	if h == nil {
		return
	}
	if h.TokenRequest != nil {
		for _, b := range out.before {
			a := seq.number(b)
			h.TokenRequest(ctx, &a)
		}
	}
	if h.AttemptDone != nil {
		a := seq.number(out.record)
		h.AttemptDone(ctx, &a)
	}
}
