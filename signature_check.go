package httpstep

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// checkSignature adds the problems of an auth signature block to e.
func (n *NodeConfig) checkSignature(e *ConfigError) {
	s := n.Auth.Signature
	if s == nil {
		e.add("auth.signature", "auth signature needs the algorithm, the key, the message and where the signature goes: fill in the signature block")
		return
	}
	if !slices.Contains(signatureAlgorithms, s.Algorithm) {
		e.add("auth.signature.algorithm", fmt.Sprintf("auth signature: %q is not an algorithm: use %s", s.Algorithm, strings.Join(signatureAlgorithms, ", ")))
	}
	switch s.Encoding {
	case "", EncodingHex, EncodingBase64, EncodingBase64URL:
	default:
		e.add("auth.signature.encoding", fmt.Sprintf("auth signature: %q is not an encoding: use hex, base64 or base64url", s.Encoding))
	}
	s.checkKey(e)
	s.checkVars(e, "auth.signature.message", s.Message, sigMessage)
	if !keyed(s.Algorithm) && strings.TrimSpace(s.Message) == "" {
		e.add("auth.signature.message", "auth signature "+s.Algorithm+" hashes the message: say what is hashed")
	}
	placed := n.checkSignaturePlaces(e)
	if n.checkSignatureBody(e) {
		placed = true
	}
	if !placed {
		e.add("auth.signature", "auth signature: nowhere to put the signature: add a header or query entry whose value uses {{$signature}}")
	}
	n.checkNoSigVars(e)
}

// checkKey checks the key: needed by every keyed algorithm, a PEM RSA key
// for rsa-sha256 when it is typed in.
func (s *Signature) checkKey(e *ConfigError) {
	const field = "auth.signature.key"
	if keyed(s.Algorithm) && strings.TrimSpace(s.Key) == "" {
		e.add(field, "auth signature needs the key: the secret, or the PEM private key for rsa-sha256")
		return
	}
	t := s.checkVars(e, field, s.Key, sigKey)
	if t != nil && t.static() && s.Algorithm == SignRSASHA256 {
		if _, err := parseRSAKey(s.Key); err != nil {
			e.add(field, messageOf(err))
		}
	}
}

// checkSignaturePlaces checks the signature's headers and query entries;
// it reports whether one of them carries the signature.
func (n *NodeConfig) checkSignaturePlaces(e *ConfigError) bool {
	s, placed := n.Auth.Signature, false
	for i, kv := range s.Headers {
		f := indexed("auth.signature.headers", i)
		if !httpguts.ValidHeaderFieldName(strings.TrimSpace(kv.Key)) {
			e.add(f+".key", fmt.Sprintf("auth signature: %q is not a valid header name: use letters, digits and - only", kv.Key))
		}
		if t := s.checkVars(e, f+".value", kv.Value, sigAtPlace); t != nil && usesRef(t, varSignature) {
			placed = true
		}
	}
	for i, kv := range s.Query {
		f := indexed("auth.signature.query", i)
		if strings.TrimSpace(kv.Key) == "" {
			e.add(f+".key", "auth signature: the query parameter has no name")
		}
		if t := s.checkVars(e, f+".value", kv.Value, sigAtPlace); t != nil && usesRef(t, varSignature) {
			placed = true
		}
	}
	return placed
}

// checkSignatureBody checks the node's body against the signature: a raw
// body may carry the signature variables (the message then cannot sign
// the body), and {{$body}} needs a body known before sending. It reports
// whether the body carries the signature.
func (n *NodeConfig) checkSignatureBody(e *ConfigError) bool {
	s, b := n.Auth.Signature, n.Body
	signsBody := slices.Contains(templateRefs(s.Message), varBody)
	if b == nil {
		return false
	}
	if signsBody && (b.Kind == BodyFormData || b.Kind == BodyBinary) {
		e.add("auth.signature.message", "auth signature: {{$body}} cannot sign a "+string(b.Kind)+" body: it is streamed, not known before sending; sign a raw or x-www-form-urlencoded body, or leave {{$body}} out")
	}
	if b.Kind != BodyRaw {
		for i, f := range b.Fields {
			if slices.ContainsFunc(templateRefs(f.Value), isSigVar) {
				e.add(indexed("body.fields", i)+".value", "auth signature: only a raw body can carry the signature variables: use a raw body, or a signature header or query entry")
			}
		}
		return false
	}
	t := s.checkVars(e, "body.raw", b.Raw, sigBody)
	if t == nil || !usesSigVar(t) {
		return false
	}
	if signsBody {
		e.add("auth.signature.message", "auth signature: the message cannot sign {{$body}} when the body carries the signature variables: sign the other parts")
	}
	return usesRef(t, varSignature)
}

// checkNoSigVars refuses signature variables where they are not rendered:
// the node's URL, query and headers.
func (n *NodeConfig) checkNoSigVars(e *ConfigError) {
	check := func(field, src string) {
		for _, ref := range templateRefs(src) {
			if isSigVar(ref) {
				e.add(field, fmt.Sprintf("auth signature: {{%s}} is set per request only in auth.signature.headers, auth.signature.query and a raw body: move it there", ref))
			}
		}
	}
	check("url", n.URL)
	for i, q := range n.Query {
		check(indexed("query", i)+".value", q.Value)
	}
	for i, h := range n.Headers {
		check(indexed("headers", i)+".value", h.Value)
	}
}

// checkVars parses a signature template and refuses the variables it may
// not use there.
func (s *Signature) checkVars(e *ConfigError, field, src string, at sigField) *template {
	m := modeText
	if at == sigBody {
		m = modeJSON
	}
	t := checkTemplate(e, field, src, m)
	if t == nil {
		return nil
	}
	for _, seg := range t.segs {
		if isSigVar(seg.ref) && !sigVarAllowed(at, s.Algorithm, seg.ref) {
			e.add(field, fmt.Sprintf("auth signature: {{%s}} cannot be used here: %s", seg.ref, sigVarsHelp(at)))
		}
	}
	return t
}

// sigVarsHelp says which variables a template at f may use.
func sigVarsHelp(f sigField) string {
	switch f {
	case sigKey:
		return "the key may use {{$timestamp}}, {{$timestampMs}} and {{$nonce}}"
	case sigMessage:
		return "the message may use {{$method}} {{$path}} {{$query}} {{$sortedQuery}} {{$target}} {{$body}} {{$timestamp}} {{$timestampMs}} {{$nonce}} {{$date}} {{$header.NAME}}, and {{$key}} for sha256 and md5"
	}
	return "a signature header, query entry or raw body may use {{$signature}} {{$timestamp}} {{$timestampMs}} {{$nonce}} {{$date}}"
}

// templateRefs is the refs of a template source; none when it does not
// parse (Validate says why elsewhere).
func templateRefs(src string) []string {
	segs, err := parseTemplate(src)
	if err != nil {
		return nil
	}
	return (&template{segs: segs}).refs(nil)
}
