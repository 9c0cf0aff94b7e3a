package durable

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

// callbackPreview is how much of a call's body its attempt record shows,
// as the core's history does for responses.
const callbackPreview = 4 << 10

// callbackHeaders are the request headers a call's record keeps; the
// others (credentials, cookies, the signature) are left out.
var callbackHeaders = []string{"Content-Type", "Content-Length", "User-Agent", webhook.IDHeader, webhook.TimestampHeader}

// CallbackHandler returns the handler the APIs call back: mount it at
// Config.CallbackURL (with http.StripPrefix or not: the token is the last
// path segment). Any Queue on the database serves any delivery's call,
// started or not, in any process.
//
// A POST, PUT or PATCH to a waiting delivery's URL is applied once: its
// body (at most the Client's MaxResponseBytes) and Content-Type become the
// delivery's Result and a call record ends its history; the handler
// answers 200 once that is committed. It answers 404 to an unknown or
// expired token, 409 to a URL already used (counted in the history, never
// applied again), 401 when callback.secret is set and the Standard Webhooks
// signature does not verify, 413 to a body over the cap, 405 to other
// methods (a GET from a link preview must not use the URL up), and 503
// when the database or Config.Secrets fails, so the API calls again.
// Refused calls change nothing.
func (q *Queue) CallbackHandler() http.Handler { return &callbackHandler{q: q} }

// callbackHandler serves the calls back.
type callbackHandler struct{ q *Queue }

// errCallbackStore is the answer when the database or the secret store fails.
const errCallbackStore = "the delivery could not be read or written; call again later"

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		w.Header().Set("Allow", "POST, PUT, PATCH")
		http.Error(w, "call back with POST, PUT or PATCH", http.StatusMethodNotAllowed)
		return
	}
	token := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	status, msg := h.serve(r.Context(), r, token)
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	http.Error(w, msg, status)
}

// serve applies the call with token and returns the status to answer.
func (h *callbackHandler) serve(ctx context.Context, r *http.Request, token string) (int, string) {
	if !wellFormed(token) {
		return http.StatusNotFound, "no such callback"
	}
	hash := tokenHash(token)
	p, ok, err := parkedBy(ctx, h.q.sql, "token_hash", hash)
	if err != nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	// The lookup is by the token's SHA-256, so its timing says nothing of
	// the token; the comparison is constant-time all the same.
	if !ok || subtle.ConstantTimeCompare(p.tokenHash, hash) != 1 {
		return http.StatusNotFound, "no such callback"
	}
	now := time.Now().UTC()
	switch {
	case p.state == parkDone:
		return h.duplicate(ctx, hash, now)
	case p.state != parkWaiting || !now.Before(p.deadline):
		return http.StatusNotFound, "no such callback: it expired"
	}
	return h.apply(ctx, r, p, now)
}

// apply reads, checks and stores the call to the waiting row p.
func (h *callbackHandler) apply(ctx context.Context, r *http.Request, p *parked, now time.Time) (int, string) {
	body, err := readCapped(r.Body, h.q.maxBody())
	if errors.Is(err, errBodyTooLarge) {
		return http.StatusRequestEntityTooLarge, "the body is larger than the queue accepts"
	}
	if err != nil {
		return http.StatusBadRequest, "the body could not be read"
	}
	if status, msg := h.verify(ctx, p, r.Header, body); status != http.StatusOK {
		return status, msg
	}
	rec, err := json.Marshal(h.q.callRecord(r, body, now))
	if err != nil {
		return http.StatusInternalServerError, "the call could not be recorded"
	}
	applied, err := finishParked(ctx, h.q.sql, p.tokenHash, now, r.Header.Get("Content-Type"), body, string(rec))
	if err != nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	if applied {
		// The timeout job would find nothing to do; deleting it keeps the
		// queue (and River's UI) to what still waits. Best effort.
		_ = h.q.backend.deleteJob(ctx, p.timeoutJob)
		return http.StatusOK, ""
	}
	again, ok, err := parkedBy(ctx, h.q.sql, "token_hash", p.tokenHash) // another call won the race
	if err != nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	if ok && again.state == parkDone {
		return h.duplicate(ctx, p.tokenHash, now)
	}
	return http.StatusNotFound, "no such callback: it expired"
}

// duplicate records a call to a URL already used and answers 409.
func (h *callbackHandler) duplicate(ctx context.Context, hash []byte, now time.Time) (int, string) {
	if err := countDuplicate(ctx, h.q.sql, hash, now); err != nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	return http.StatusConflict, "this callback was already received; it is applied once"
}

// verify checks the call's Standard Webhooks signature when the node set
// callback.secret.
func (h *callbackHandler) verify(ctx context.Context, p *parked, header http.Header, body []byte) (int, string) {
	if p.secretRef == "" {
		return http.StatusOK, ""
	}
	if h.q.cfg.Secrets == nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	secret, err := h.q.cfg.Secrets(ctx, p.secretRef)
	if err != nil {
		return http.StatusServiceUnavailable, errCallbackStore
	}
	if err := webhook.Verify(string(secret), header, body); err != nil {
		return http.StatusUnauthorized, "the webhook signature does not verify"
	}
	return http.StatusOK, ""
}

// wellFormed reports whether token can be one the queue minted.
func wellFormed(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// maxBody is the cap of a call's body: the Client's response cap.
func (q *Queue) maxBody() int64 {
	if n := q.cfg.Client.MaxResponseBytes; n > 0 {
		return n
	}
	return httpstep.DefaultMaxResponseBytes
}

var errBodyTooLarge = errors.New("httpstep: durable: the callback's body is over the cap")

// readCapped reads all of r, failing with errBodyTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// callRecord is the history's record of a call: its method, the URL with
// the token redacted, the harmless headers and a preview of a text body.
func (q *Queue) callRecord(r *http.Request, body []byte, now time.Time) httpstep.Attempt {
	req := httpstep.RequestRecord{Method: r.Method, URL: q.redactedCallbackURL(), Header: map[string][]string{}}
	for _, k := range callbackHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			req.Header[k] = v
		}
	}
	if utf8.Valid(body) {
		req.Body, req.Truncated = string(body), false
		if len(body) > callbackPreview {
			req.Body, req.Truncated = strings.ToValidUTF8(string(body[:callbackPreview]), ""), true
		}
	}
	return httpstep.Attempt{
		Start: now, Callback: true, Request: req,
		Response: &httpstep.ResponseRecord{Status: http.StatusOK},
	}
}
