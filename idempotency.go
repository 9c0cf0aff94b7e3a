package httpstep

import (
	"crypto/rand"
	"encoding/hex"
)

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
// Execute makes one per run and sends it on every attempt, unless the node
// sets the header itself (for example to {{record.id}}, so that separate
// runs deduplicate too); a value the node sets is sent as rendered.
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
