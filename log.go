package httpstep

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// The messages of the Client's log records (Client.Logger).
const (
	logAttempt = "httpstep attempt" // one HTTP exchange, at Debug
	logFailure = "httpstep failure" // a run that failed, at Warn
)

// runEnded is the one place the end of a run is reported: a Warn record
// when it failed, then the Hooks' RunDone.
func (c *Client) runEnded(ctx context.Context, res *Result) {
	c.logRun(ctx, res)
	c.Hooks.runDone(ctx, res)
}

// attemptEnded is the one place the end of an attempt is reported: the
// Debug records of its exchanges, then the Hooks' TokenRequest, Redirect
// and AttemptDone. The Hooks get a copy of out, so that an unhooked
// Client's outcome stays on the stack.
func (c *Client) attemptEnded(ctx context.Context, seq historySeq, out *outcome) {
	c.logAttempts(ctx, seq, out)
	if c.Hooks != nil {
		c.Hooks.attemptDone(ctx, seq, *out)
	}
}

// logAttempts writes a Debug record for each exchange of one attempt: the
// token requests and refused requests before it, then the attempt itself.
// Nothing is built when there is no Logger or Debug is off.
func (c *Client) logAttempts(ctx context.Context, seq historySeq, out *outcome) {
	if c.Logger == nil || !c.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	id, _ := RunIdentityFrom(ctx)
	for i := range out.before {
		c.logExchange(ctx, id, seq, out.before[i])
	}
	c.logExchange(ctx, id, seq, out.record)
}

// logExchange writes the Debug record of one exchange from its history
// record (a copy), so that it is redacted exactly as the history is and
// numbered as the history will number it (seq).
func (c *Client) logExchange(ctx context.Context, id RunIdentity, seq historySeq, a Attempt) {
	a = seq.number(a)
	as := make([]slog.Attr, 0, 12)
	as = append(as, a.attrs()...)
	c.Logger.LogAttrs(ctx, slog.LevelDebug, logAttempt, id.attrs(as)...)
}

// logRun writes a Warn record when the run of res failed: the failure and
// the last request, as the history has them.
func (c *Client) logRun(ctx context.Context, res *Result) {
	if c.Logger == nil || res.Failure == nil || !c.Logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	id, _ := RunIdentityFrom(ctx)
	as := make([]slog.Attr, 0, 12)
	as = append(as, res.Failure.attrs()...)
	if len(res.Attempts) > 0 {
		a := res.lastAttempt()
		as = append(as, slog.String("method", a.Request.Method), slog.String("url", a.Request.URL))
	}
	as = append(as, slog.Int("attempts", len(res.Attempts)))
	c.Logger.LogAttrs(ctx, slog.LevelWarn, logFailure, id.attrs(as)...)
}

// attrs are the log attributes of an attempt: what it sent, what came
// back, how long it took and how it failed, all from the redacted record.
func (a *Attempt) attrs() []slog.Attr {
	as := []slog.Attr{
		slog.Int("attempt", a.N),
		slog.String("method", a.Request.Method),
		slog.String("url", a.Request.URL),
	}
	if a.Response != nil {
		as = append(as, slog.Int("status", a.Response.Status))
	}
	as = append(as, slog.Duration("duration", time.Duration(a.Duration)))
	if a.Kind != "" {
		as = append(as, slog.String("kind", string(a.Kind)), slog.String("error", a.Error))
	}
	if a.Auth != "" {
		as = append(as, slog.String("auth", a.Auth))
	}
	if a.Poll != 0 {
		as = append(as, slog.Int("poll", a.Poll))
	}
	return as
}

// LogValue implements slog.LogValuer: a host that logs an Attempt gets
// its attempt number, method, URL, status, duration, failure kind and
// message, as redacted as the record itself; never headers or bodies.
func (a Attempt) LogValue() slog.Value {
	return slog.GroupValue(a.attrs()...)
}

// attrs are the log attributes of a failure: kind, status, code, message.
// The underlying error is left out: the message says what it means.
func (f *Failure) attrs() []slog.Attr {
	as := []slog.Attr{slog.String("kind", string(f.Kind))}
	if f.StatusCode != 0 {
		as = append(as, slog.Int("status", f.StatusCode))
	}
	if f.Code != "" {
		as = append(as, slog.String("code", f.Code))
	}
	return append(as, slog.String("message", f.Message))
}

// LogValue implements slog.LogValuer: a host that logs a Failure (or the
// error Run returns) gets its kind, status, business code and message,
// never the underlying error's text. A Failure from Run or Execute has
// its secrets redacted.
func (f *Failure) LogValue() slog.Value {
	if f == nil {
		return slog.Value{}
	}
	return slog.GroupValue(f.attrs()...)
}

// LogValue implements slog.LogValuer: a host that logs a Result gets
// whether it succeeded, its status, its failure, and its attempts as
// Attempt.LogValue gives them; never the response's headers or body,
// which may hold what the API returned about a user.
func (r *Result) LogValue() slog.Value {
	if r == nil {
		return slog.Value{}
	}
	as := []slog.Attr{slog.Bool("ok", r.OK()), slog.Int("status", r.StatusCode)}
	if r.Failure != nil {
		as = append(as, slog.Any("failure", r.Failure))
	}
	attempts := make([]slog.Attr, len(r.Attempts))
	for i := range r.Attempts {
		attempts[i] = slog.Attr{Key: strconv.Itoa(i + 1), Value: r.Attempts[i].LogValue()}
	}
	as = append(as, slog.Attr{Key: "attempts", Value: slog.GroupValue(attempts...)})
	return slog.GroupValue(as...)
}
