package httpstep

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/httpstep/httpstep/webhook"
)

// The placeholders of a dry run: what only sending the request could give
// stands in its place, in brackets, saying when the real value comes.
const (
	// placeholderToken is {{$token}} of auth type token: the token request
	// of auth.fetch is not made.
	placeholderToken = "[token: fetched by auth.fetch when the step runs]"
	// placeholderOAuth2 is the access token of auth type oauth2: the token
	// endpoint is not asked.
	placeholderOAuth2 = "Bearer [oauth2 token: fetched from the token URL when the step runs]"
	// placeholderDigest is the answer of auth type digest to the API's
	// challenge, which only the API can give.
	placeholderDigest = "Digest [digest answer: computed from the API's challenge when the step runs]"
	// placeholderAWS is the Authorization header of auth type awsSigV4.
	placeholderAWS = "AWS4-HMAC-SHA256 [signature: computed when the step runs]"
	// placeholderSignature is {{$signature}} of auth type signature.
	placeholderSignature = "[signature: computed when the step runs]"
	// placeholderWebhook is the Standard Webhooks signature of a node that
	// signs (Client.SigningSecret).
	placeholderWebhook = "v1,[signature: computed when the step runs]"
	// placeholderHash is the SHA-256 of attachments that awsSigV4 signs:
	// a dry run opens no attachment.
	placeholderHash = "[SHA-256 of the attachments: computed when the step runs]"
	// placeholderCallback is {{$callback.url}}: the durable queue mints
	// the URL when it runs the node.
	placeholderCallback = "[callback URL: minted by the durable queue when the step runs]"
)

// DryRun returns the request that [Client.Run] would send first for step s
// with params: method, URL, headers, body preview and attachments, redacted
// exactly as the execution history redacts an attempt's request
// (Attempt.Request). Nothing is sent: no connection is made, no name is
// looked up, no token is fetched, no attachment is opened and no Limit or
// pause is waited for. It is what a node editor's preview shows.
//
// It is built by the run's own code: the same rendering, checks,
// credentials, signing and record. Where a value comes only from sending,
// a placeholder in brackets stands in its place and says so:
//   - oauth2: Authorization is "Bearer [oauth2 token: fetched from the token URL when the step runs]";
//   - token (auth.fetch): the token's header or query value is rendered with
//     {{$token}} as "[token: fetched by auth.fetch when the step runs]";
//   - digest: Authorization is "Digest [digest answer: ...]" (the first
//     request of a run without a cached challenge goes without it);
//   - awsSigV4: the request is signed, and Authorization is
//     "AWS4-HMAC-SHA256 [signature: computed when the step runs]";
//     signing attachments hashes a placeholder, not the files;
//   - signature: {{$signature}} is "[signature: computed when the step runs]"
//     wherever it goes (header, query, body); the timestamp and nonce are
//     this call's;
//   - a node that signs (Client.SigningSecret): webhook-signature is
//     "v1,[signature: computed when the step runs]";
//   - callback: {{$callback.url}} is "[callback URL: minted by the durable
//     queue when the step runs]" (Run refuses a callback node outside the
//     queue; DryRun shows it).
//
// Basic, bearer and apiKey credentials are placed as the run places them,
// so their header or query value is [REDACTED], as in the history. A
// paginating node gives its first page's request (with the page
// parameter of its first page), an async node its first request (not a
// poll), a download node its request. The record is whole even when the
// Client keeps summaries (HistorySummary). The Idempotency-Key and webhook
// id are fresh, as for every run. The Client's InjectTraceContext hook
// adds its headers, as to every attempt (with ctx), unless the node sets
// NoTraceContext; no other hook is called.
//
// Errors are those Run gives before sending: a nil Step or an invalid node
// is a *ConfigError, a value that cannot be placed (a header the run would
// refuse, a credential whose ref has no value) is a *Failure of kind
// param, whatever the node's failure policy. An attachment that cannot be
// opened or is too large is found only when the step runs. A nil Client is
// DefaultClient; DryRun is safe for concurrent use, as Run is.
func (c *Client) DryRun(ctx context.Context, s *Step, params Params) (*RequestRecord, error) {
	if c == nil {
		c = DefaultClient
	}
	if s == nil {
		return nil, noStep()
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if s.node.Callback != nil {
		params = callbackParams{Params: params, url: placeholderCallback}
	}
	o, f := c.render(s, params)
	if f == nil {
		o, f = o.firstRequest()
	}
	if f != nil {
		o.secrets.failure(f)
		return nil, f
	}
	return o.dryRecord(ctx, c.Hooks)
}

// firstRequest is the first request a run of o sends: the first page of a
// pull, o itself otherwise.
func (o *outgoing) firstRequest() (*outgoing, *Failure) {
	pg := o.step.node.Paginate
	if pg == nil {
		return o, nil
	}
	p := &pull{pg: pg, first: o, offset: pg.Start, seen: map[string]bool{}}
	return p.request(o, 0, nil, "")
}

// dryRecord prepares o's request as an attempt does, placeholders in place
// of what only sending gives, and records it as the history does.
func (o *outgoing) dryRecord(ctx context.Context, hooks *Hooks) (*RequestRecord, error) {
	d := *o
	d.dry = true
	ctx, _ = withHops(ctx, &d) // the request's values, as an attempt's round trip gives them
	req, sent, _, err := d.prepare(ctx, hooks, d.credentialPlaceholder())
	if err != nil {
		f := paramFailure(err)
		o.secrets.failure(f)
		return nil, f
	}
	rec := sent.record(req)
	sent.showPlaceholders(&rec, req)
	return &rec, nil
}

// credentialPlaceholder is the credential value a dry run places in
// place of the one o.cred would get by an exchange; "" for no credential.
// A token's value is rendered as the run renders it, with every
// parameter in it a secret: the run seals the whole value.
func (o *outgoing) credentialPlaceholder() string {
	cr := o.cred
	if cr == nil {
		return ""
	}
	switch cr.kind {
	case AuthOAuth2:
		return placeholderOAuth2
	case AuthDigest:
		return placeholderDigest
	case AuthToken:
		r := newRenderer(dryTokenParams{cr.params})
		v, err := r.render(cr.fetch.value)
		o.secrets.addSealed(r.secrets.values...)
		if err != nil {
			return placeholderToken
		}
		return v
	}
	return ""
}

// dryTokenParams are the Params of a dry run's token value: {{$token}} is
// its placeholder, every other value a Secret.
type dryTokenParams struct{ base Params }

func (p dryTokenParams) Lookup(ref string) (any, bool) {
	if ref == varToken {
		return placeholderToken, true
	}
	return secretParams(p).Lookup(ref)
}

// showPlaceholders shows, in rec, the header and query values that hold a
// dry run's placeholder instead of a credential or signature, which the
// history redacts whole by name. What else they hold is scrubbed of the
// run's secrets as any value is.
func (o *outgoing) showPlaceholders(rec *RequestRecord, req *http.Request) {
	headers, query := o.placeholderSpots(req)
	for _, k := range headers {
		k = http.CanonicalHeaderKey(k)
		vs := req.Header.Values(k)
		if len(vs) == 0 {
			continue
		}
		shown := make([]string, len(vs))
		for i, v := range vs {
			shown[i] = clip(o.secrets.text(v), maxHeaderValue)
		}
		rec.Header[k] = shown
	}
	for _, k := range query {
		if v, ok := lastParam(req.URL.RawQuery, k); ok {
			rec.URL = withRecordParam(rec.URL, k, o.secrets.text(v))
		}
	}
}

// placeholderSpots names the headers and query parameters where o's dry
// request carries a placeholder.
func (o *outgoing) placeholderSpots(req *http.Request) (headers, query []string) {
	if cr := o.cred; cr.appliesTo(o.url) {
		switch {
		case cr.kind != AuthToken:
			headers = append(headers, "Authorization")
		case cr.fetch.query:
			query = append(query, cr.fetch.name)
		default:
			headers = append(headers, cr.fetch.name)
		}
	}
	if o.signs(req.URL) {
		switch s := o.signer.(type) {
		case *awsSigner:
			headers = append(headers, "Authorization")
		case *signatureSigner:
			for _, p := range s.step.places {
				switch key := strings.TrimSpace(p.key); {
				case !p.signed:
				case p.query:
					query = append(query, key)
				default:
					headers = append(headers, key)
				}
			}
		}
	}
	if o.sign != "" {
		headers = append(headers, webhook.SignatureHeader)
	}
	return headers, query
}

// lastParam is the value of the last parameter key in the raw query.
func lastParam(raw, key string) (string, bool) {
	var v string
	found := false
	for part := range strings.SplitSeq(raw, "&") {
		k, val, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil && name == key {
			if u, err := url.QueryUnescape(val); err == nil {
				v, found = u, true
			}
		}
	}
	return v, found
}

// withRecordParam writes v, as text (the history writes [REDACTED] so),
// as the value of the last parameter key in the query of the recorded URL.
func withRecordParam(recURL, key, v string) string {
	base, rest, ok := strings.Cut(recURL, "?")
	if !ok {
		return recURL
	}
	query, frag, hasFrag := strings.Cut(rest, "#")
	parts := strings.Split(query, "&")
	for i := len(parts) - 1; i >= 0; i-- {
		k, _, _ := strings.Cut(parts[i], "=")
		if name, err := url.QueryUnescape(k); err == nil && name == key {
			parts[i] = k + "=" + v
			break
		}
	}
	out := base + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
