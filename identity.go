package httpstep

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

// identity is what lets a server recognise one request across its
// attempts: the Idempotency-Key and, on a signed push, the Standard Webhooks
// message id (webhook-id). Both are made together, once per request, here
// and nowhere else: every attempt (retry) of a request carries the same ones,
// and every page of a pull is a request of its own that gets new ones
// (next). A value the node sets itself, with its own Idempotency-Key or
// webhook-id header (say {{record.id}}), is kept on every attempt and page,
// and a signed push is signed with that webhook-id: this is how a durable
// host keeps one delivery's identity across processes.
type identity struct {
	key    string // Idempotency-Key; "" when the request carries none
	msgID  string // webhook-id; "" when the request is not signed
	ownKey bool   // key is the node's own
	ownID  bool   // msgID is the node's own
}

// newIdentity makes the identity of a request with the rendered header h.
// A key is made for nodes with a retry policy, data-object pushes, and POST
// and PATCH requests; a message id when signed.
func newIdentity(s *Step, h http.Header, signed bool) identity {
	var id identity
	if k := h.Get(idempotencyHeader); k != "" {
		id.key, id.ownKey = k, true
	} else if s.wantsKey() {
		id.key = newIdempotencyKey()
	}
	if !signed {
		return id
	}
	if m := h.Get(webhook.IDHeader); m != "" {
		id.msgID, id.ownID = m, true
	} else {
		id.msgID = newWebhookID()
	}
	return id
}

// next returns the identity of the next request of the same run (the next
// page): new key and message id, except those the node set itself.
func (id identity) next() identity {
	if id.key != "" && !id.ownKey {
		id.key = newIdempotencyKey()
	}
	if id.msgID != "" && !id.ownID {
		id.msgID = newWebhookID()
	}
	return id
}

// apply sets the Idempotency-Key on h; the webhook-id is set when the
// attempt is signed.
func (id identity) apply(h http.Header) {
	if id.key != "" {
		h.Set(idempotencyHeader, id.key)
	}
}

// newWebhookID returns a fresh message id: "msg_" and 26 random base32
// characters (128 bits), with no '.'.
func newWebhookID() string {
	return "msg_" + rand.Text()
}

// idempotencyHeader is the header that lets a server recognise a retry of a
// request it has already processed.
const idempotencyHeader = "Idempotency-Key"

// newIdempotencyKey returns a fresh Idempotency-Key header value: a random
// (version 4) UUID in canonical lowercase form, written as a Structured Field
// string, quotes included, as the IETF draft "The Idempotency-Key HTTP
// Header Field" (draft-ietf-httpapi-idempotency-key-header) defines it:
//
//	Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"
//
// Each request gets one (see identity) and sends it on every attempt, unless
// the node sets the header itself (for example to {{record.id}}, so that
// separate runs deduplicate too); a value the node sets is sent as rendered.
func newIdempotencyKey() string {
	return `"` + newUUID() + `"`
}

// newUUID returns a random UUID (RFC 9562, version 4, variant 10) as
// xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx in lowercase hex. crypto/rand never
// fails on supported platforms.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// signHeaders sets the three Standard Webhooks headers on h for one attempt:
// the run's id, ts as this attempt's timestamp, and the signature of body.
func signHeaders(h http.Header, secret Secret, id string, ts time.Time, body []byte) error {
	return webhook.SetHeaders(h, string(secret), id, ts, body)
}
