package httpstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/httpstep/httpstep/internal/digest"
	"github.com/httpstep/httpstep/internal/throttle"
)

// What a history record was for the node's credentials, the values of
// Attempt.Auth (untyped, as the field is a plain string in the history's
// JSON).
const (
	RecordToken     = "token"     // a request to the OAuth2 token endpoint
	RecordChallenge = "challenge" // a request that drew a Digest challenge, answered by the next record
	RecordExpired   = "expired"   // a request refused because its token had expired; a new token was fetched and the request sent again
)

// authenticated makes the exchange of a request with digest or oauth2
// credentials: it authenticates, sends, and when the API refuses (a Digest
// challenge, an expired token) authenticates afresh and sends once more.
// Every exchange is in the history, token requests included; a second
// refusal is the attempt's failure like any other.
func (c *Client) authenticated(ctx context.Context, o *outgoing, hc *http.Client) outcome {
	var before []Attempt
	for try := 0; ; try++ {
		start := time.Now()
		authz, recs, f := c.authorization(ctx, o)
		before = append(before, recs...)
		if f != nil {
			return authFailed(o, before, f)
		}
		out := c.roundTrip(ctx, o, hc, authz)
		if try > 0 || !c.refused(ctx, o, &out, authz) {
			out.before = before
			return out
		}
		out.record.Start, out.record.Duration = start.UTC(), Duration(time.Since(start))
		before = append(before, out.record)
	}
}

// authorization returns the Authorization header value for the next
// exchange, and the records of any token requests made for it.
func (c *Client) authorization(ctx context.Context, o *outgoing) (string, []Attempt, *Failure) {
	cr := o.cred
	if cr.kind == AuthToken {
		return c.fetchedToken(ctx, o)
	}
	if cr.kind == AuthDigest {
		h, _, err := c.creds.digest.Answer(hostKey(o.url), digest.Request{Method: o.method, URI: o.url.RequestURI(), Username: cr.user, Password: cr.pass})
		if err != nil {
			return "", nil, paramFailure(err)
		}
		return h, nil, nil
	}
	base, err := c.client(&o.step.node, cr.tokenURL)
	if err != nil {
		return "", nil, tokenFailure(ctx, o, err)
	}
	rec := &tokenRecorder{base: base.Transport, secrets: o.secrets}
	hc := &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tok, _, err := c.tokenCache().Token(throttle.Carry(valueless{ctx}, ctx), hc, cr.oauth)
	recs := rec.take()
	if err != nil {
		return "", recs, tokenFailure(ctx, o, err)
	}
	o.secrets.addSealed(tok.AccessToken, tok.RefreshToken)
	return "Bearer " + tok.AccessToken, recs, nil
}

// refused reports whether the API refused the credentials in a way that
// one more try can fix: a Digest challenge, or an expired token (a status
// in refreshOn, a code in expiredCodes), which is dropped. It marks the
// record of the refused exchange.
func (c *Client) refused(ctx context.Context, o *outgoing, out *outcome, authz string) bool {
	if out.status == 0 || out.file != nil { // nothing came back, or it is saved: keep it
		return false
	}
	cr := o.cred
	if cr.kind == AuthDigest {
		if out.status != http.StatusUnauthorized {
			return false
		}
		if _, err := c.creds.digest.Learn(hostKey(o.url), out.header); err != nil {
			return false
		}
		out.record.Auth = RecordChallenge
		out.note("the API asked for Digest credentials; the next exchange answers")
		return true
	}
	if !cr.expiredToken(out) {
		return false
	}
	if cr.kind == AuthToken {
		_ = c.tokenCache().InvalidateKey(ctx, cr.key, cr.lastToken)
	} else {
		_ = c.tokenCache().Invalidate(ctx, cr.oauth, strings.TrimPrefix(authz, "Bearer "))
	}
	out.record.Auth = RecordExpired
	out.note(fmt.Sprintf("the API refused the token (status %d): a new token was fetched and the request sent again", out.status))
	return true
}

// expiredToken reports whether a response says the token has expired: its
// status is in refreshOn, or the code at success.errorCodePath is in
// expiredCodes.
func (cr *credential) expiredToken(out *outcome) bool {
	if slices.Contains(cr.refresh, out.status) {
		return true
	}
	if len(cr.expired) == 0 || cr.codePath == "" {
		return false
	}
	v := pathGet(out.body, cr.codePath)
	return v.Exists() && slices.Contains(cr.expired, v.String())
}

// authFailed is the outcome of an attempt whose token could not be had: the
// last token request's record carries the failure; nothing went to the API.
func authFailed(o *outgoing, before []Attempt, f *Failure) outcome {
	out := outcome{failure: f}
	if n := len(before); n > 0 {
		out.before, out.record = before[:n-1], before[n-1]
		return out
	}
	out.record.Request = o.record(nil)
	return out
}

// hostKey names the host whose Digest challenge answers a request to u.
func hostKey(u *url.URL) string { return u.Scheme + "://" + u.Host }

// valueless is a context without its values: the token request may outlive
// the attempt that started it (others wait for it too), so it must not run
// the attempt's trace hooks.
type valueless struct{ context.Context }

func (valueless) Value(any) any { return nil }

// tokenRecorder records the token requests made through it, as history
// records of their own with the request and response bodies masked whole.
type tokenRecorder struct {
	base    http.RoundTripper
	secrets *secrets
	mu      sync.Mutex
	recs    []Attempt
}

// maxTokenResponse bounds a token response, as x/oauth2 does.
const maxTokenResponse = 1 << 20

// CloseIdleConnections passes the call on to the transport it wraps.
func (t *tokenRecorder) CloseIdleConnections() { closeIdle(t.base) }

func (t *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	a := Attempt{Auth: RecordToken, Start: start.UTC(),
		Request: RequestRecord{Method: req.Method, URL: t.secrets.url(req.URL), Header: t.secrets.header(req.Header)}}
	if req.ContentLength != 0 {
		a.Request.Body = redacted
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		a.Response = &ResponseRecord{Status: resp.StatusCode, Proto: resp.Proto, Header: t.secrets.header(resp.Header), Bytes: int64(len(body))}
		if len(body) > 0 {
			a.Response.Body = redacted
		}
		err = rerr
	}
	a.Duration = Duration(time.Since(start))
	t.mu.Lock()
	t.recs = append(t.recs, a)
	t.mu.Unlock()
	return resp, err
}

// take returns the records so far.
func (t *tokenRecorder) take() []Attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.recs)
}
