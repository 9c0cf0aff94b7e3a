package httpstep

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/oauth"
	"github.com/httpstep/httpstep/internal/throttle"
	"github.com/tidwall/gjson"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/oauth2"
)

// TokenFetch is how a node of auth type "token" gets its token: from a
// request of the node's own design (WeChat's
// GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…,
// DingTalk, Feishu, WeCom and many in-house systems). The token is cached
// in Client.Tokens like an OAuth2 token, under a key that holds no secret
// in clear, fetched once for all concurrent runs, and placed by the auth
// block's Name, In and Value (default: "Authorization: Bearer {{$token}}").
// A response whose status is in RefreshOn, or whose value at the node's
// success.errorCodePath is in ExpiredCodes, drops the token; a new one is
// fetched and the request sent once more in the same attempt. The token
// request is a record of its own in Attempts ("auth": "token"), its bodies
// masked; every value its templates render to is a credential.
type TokenFetch struct {
	Request       NodeConfig `json:"request"`                 // the token request: any method, url, query, headers, body; its success rule decides
	TokenPath     string     `json:"tokenPath,omitempty"`     // default "access_token"
	ExpiresInPath string     `json:"expiresInPath,omitempty"` // lifetime in seconds; default "expires_in"; absent: kept until refused
	RefreshOn     []int      `json:"refreshOn,omitempty"`     // default [401]
	ExpiredCodes  []string   `json:"expiredCodes,omitempty"`  // values at the node's success.errorCodePath meaning "expired", e.g. ["40001","42001"]
}

// AuthToken takes a token from a request of the node's own design
// (Auth.Fetch).
const AuthToken = "token"

// varToken is the fetched token in Auth.Value.
const varToken = "$token"

func (f *TokenFetch) tokenPath() string {
	if f.TokenPath != "" {
		return f.TokenPath
	}
	return "access_token"
}

func (f *TokenFetch) expiresInPath() string {
	if f.ExpiresInPath != "" {
		return f.ExpiresInPath
	}
	return "expires_in"
}

// checkToken adds the problems of a "token" auth block to e.
func (n *NodeConfig) checkToken(e *ConfigError) {
	a := n.Auth
	f := a.Fetch
	if f == nil {
		e.add("auth.fetch", "auth token needs the token request: fill in auth.fetch.request with the URL that issues tokens")
		return
	}
	r := &f.Request
	if _, err := r.check(); err != nil {
		for _, p := range err.(*ConfigError).Problems {
			e.add("auth.fetch.request."+p.Field, "auth token request: "+p.Message)
		}
	}
	if r.Auth != nil && r.Auth.Type == AuthToken {
		e.add("auth.fetch.request.auth", "auth token: the token request cannot itself fetch a token: give it basic, apiKey or no auth")
	}
	if r.Paginate != nil || r.Async != nil || r.Download {
		e.add("auth.fetch.request", "auth token: the token request is one exchange: leave out paginate, async and download")
	}
	switch a.In {
	case "", InHeader:
		if a.Name != "" && !httpguts.ValidHeaderFieldName(a.Name) {
			e.add("auth.name", fmt.Sprintf("auth token: %q is not a valid header name: use letters, digits and - only", a.Name))
		}
	case InQuery:
		if strings.TrimSpace(a.Name) == "" {
			e.add("auth.name", "auth token needs the query parameter's name, e.g. access_token")
		}
	default:
		e.add("auth.in", fmt.Sprintf("auth token: %q is not a place for the token: use header or query", a.In))
	}
	if t := checkTemplate(e, "auth.value", a.Value, modeText); t != nil {
		for _, ref := range t.refs(nil) {
			if isSigVar(ref) && ref != varToken {
				e.add("auth.value", fmt.Sprintf("auth token: {{%s}} cannot be used here: the value may use {{$token}}", ref))
			}
		}
	}
	for _, c := range f.RefreshOn {
		if c < 100 || c > 599 {
			e.add("auth.fetch.refreshOn", fmt.Sprintf("auth token: %d is not an HTTP status: use 100 to 599, e.g. 401", c))
		}
	}
	if len(f.ExpiredCodes) > 0 && n.Success.ErrorCodePath == "" {
		e.add("auth.fetch.expiredCodes", "auth token: expired-token codes are read at success.errorCodePath: say where the code is, e.g. \"errcode\"")
	}
}

// fetchStep is a "token" auth block compiled.
type fetchStep struct {
	step  *Step     // the token request
	value *template // Auth.Value, or its default
	name  string    // where the token goes
	query bool
	refs  []string // the refs of the token request and of value: each must have one
}

func compileFetch(a *Auth) (*fetchStep, error) {
	s, err := a.Fetch.Request.compile(nil)
	if err != nil {
		return nil, err
	}
	fs := &fetchStep{step: s, name: strings.TrimSpace(a.Name), query: a.In == InQuery}
	if fs.name == "" {
		fs.name = "Authorization"
	}
	src := a.Value
	if src == "" {
		src = "{{$token}}"
		if !fs.query && strings.EqualFold(fs.name, "Authorization") {
			src = "Bearer {{$token}}"
		}
	}
	fs.value, err = compile(src, modeText)
	if err != nil {
		return nil, err
	}
	fs.refs = slices.DeleteFunc(fs.value.refs(a.Fetch.Request.Refs()), isSigVar)
	return fs, nil
}

// applyToken readies the token for the attempts; nothing is fetched
// until a request is sent (a dry run fetches nothing). A ref of the token
// request or of the value without a value fails the run now, as for the
// other credentials: the token request would go out without it
// ("secret=").
func (o *outgoing) applyToken(r *renderer, a *authStep) error {
	for _, ref := range a.fetch.refs {
		if _, ok := r.value(ref); !ok {
			return errorf("auth.fetch: {{%s}} has no value, so the token request or the token's place would be sent without it; "+
				"give that parameter a value (nothing was sent)", ref)
		}
	}
	f := a.auth.Fetch
	refresh := f.RefreshOn
	if len(refresh) == 0 {
		refresh = []int{http.StatusUnauthorized}
	}
	o.cred = &credential{kind: AuthToken, fetch: a.fetch, params: r.params, refresh: refresh, expired: f.ExpiredCodes,
		codePath: o.step.node.Success.ErrorCodePath, origin: o.url}
	if !a.fetch.query {
		r.secrets.addHeaderName(a.fetch.name)
	}
	return nil
}

// secretParams hands every value of its Params to the renderer as a
// Secret: whatever the token request renders is a credential.
type secretParams struct{ base Params }

func (p secretParams) Lookup(ref string) (any, bool) {
	v, ok := p.base.Lookup(ref)
	if !ok || v == nil {
		return v, ok
	}
	if _, isSecret := v.(Secret); isSecret {
		return v, ok
	}
	switch v.(type) {
	case string, int, int64, float64, bool:
		text, _ := textOf(v)
		return Secret(text), true
	}
	return v, ok
}

// fetchedToken returns the value to place for the next exchange, with the
// records of the token request made for it, if any.
func (c *Client) fetchedToken(ctx context.Context, o *outgoing) (string, []Attempt, *Failure) {
	cr := o.cred
	sub, f := c.render(cr.fetch.step, secretParams{cr.params})
	if f != nil {
		return "", nil, tokenRequestFailure(f)
	}
	cr.key = tokenFetchKey(sub)
	var recs []Attempt
	tok, _, err := c.tokenCache().Get(throttle.Carry(valueless{ctx}, ctx), cr.key, func(fctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		res := c.send(fctx, sub, historySeq{})
		recs = maskTokenRecords(res.Attempts)
		return c.readToken(res, cr.fetch.step.node.Auth, o.step.node.Auth.Fetch)
	})
	if err != nil {
		if tf, ok := err.(*tokenFetchError); ok {
			return "", recs, tf.f
		}
		return "", recs, tokenFailure(ctx, o, err)
	}
	o.secrets.addSealed(tok.AccessToken)
	cr.lastToken = tok.AccessToken
	v := &sigVars{base: cr.params, token: tok.AccessToken}
	val, rerr := newRenderer(v).render(cr.fetch.value)
	if rerr != nil {
		return "", recs, paramFailure(rerr)
	}
	o.secrets.addSealed(val)
	return val, recs, nil
}

// tokenFetchError carries the token request's failure through the cache.
type tokenFetchError struct{ f *Failure }

func (e *tokenFetchError) Error() string { return e.f.Error() }

// readToken reads the token and its lifetime from the token request's
// result; a failed request or a missing token is kind auth.
func (c *Client) readToken(res *Result, _ *Auth, f *TokenFetch) (*oauth2.Token, error) {
	if res.Failure != nil {
		return nil, &tokenFetchError{tokenRequestFailure(res.Failure)}
	}
	tok := gjson.GetBytes(res.Body, f.tokenPath())
	if !tok.Exists() || tok.String() == "" {
		return nil, &tokenFetchError{&Failure{Kind: KindAuth, StatusCode: res.StatusCode,
			Message: fmt.Sprintf("the token response has no token at %q: check auth.fetch.tokenPath", f.tokenPath())}}
	}
	t := &oauth2.Token{AccessToken: tok.String()}
	if exp := gjson.GetBytes(res.Body, f.expiresInPath()); exp.Exists() {
		if secs, err := strconv.ParseFloat(exp.String(), 64); err == nil && secs > 0 {
			t.Expiry = c.now().Add(time.Duration(secs * float64(time.Second)))
		}
	}
	return t, nil
}

// tokenRequestFailure is the failure of a node whose token request
// failed: kind auth (blocked stays blocked, a refused param stays param),
// retryable when the token request's failure was.
func tokenRequestFailure(f *Failure) *Failure {
	switch f.Kind {
	case KindBlocked, KindParam, KindCanceled:
		g := *f
		g.Message = "the token request: " + f.Message
		return &g
	}
	transient := f.Kind == KindTimeout || f.Kind == KindNetwork || (f.Kind == KindStatus && (f.StatusCode >= 500 || f.StatusCode == http.StatusTooManyRequests))
	return &Failure{Kind: KindAuth, StatusCode: f.StatusCode, Code: f.Code, Message: "the token request failed: " + f.Message, Err: f, transient: transient}
}

// maskTokenRecords marks the token request's records and masks their
// bodies whole.
func maskTokenRecords(recs []Attempt) []Attempt {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Auth = RecordToken
		if out[i].Request.Body != "" {
			out[i].Request.Body = redacted
		}
		if r := out[i].Response; r != nil && r.Body != "" {
			rr := *r
			rr.Body = redacted
			out[i].Response = &rr
		}
	}
	return out
}

// tokenFetchKey is the cache key of a rendered token request: public its
// method and URL without the query, digested the whole request as it
// would be sent but for the per-request identity headers.
func tokenFetchKey(o *outgoing) string {
	var b strings.Builder
	b.WriteString(o.method + " " + o.url.String() + "\n")
	names := make([]string, 0, len(o.header))
	for k := range o.header {
		if k != idempotencyHeader && !strings.HasPrefix(k, "Webhook-") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		b.WriteString(k + ": " + strings.Join(o.header[k], ",") + "\n")
	}
	if o.body != nil {
		b.WriteString(o.body.data)
		for _, f := range o.body.files {
			b.WriteString("\nfile " + f.Name)
		}
	}
	u := *o.url
	u.RawQuery, u.User = "", nil
	return oauth.FetchKey([]string{o.method, u.String()}, b.String())
}

// placeToken puts the token's value in req: a header (its own copy), or
// the query (a copy of the URL).
func (cr *credential) placeToken(req *http.Request, value string) {
	if !cr.fetch.query {
		req.Header = req.Header.Clone() // the rendered header is shared by the attempts
		req.Header.Set(cr.fetch.name, value)
		return
	}
	u := *req.URL
	q := url.QueryEscape(cr.fetch.name) + "=" + url.QueryEscape(value)
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	req.URL = &u
}
