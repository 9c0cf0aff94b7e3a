package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/httpstep/httpstep"
)

// This file is what httpstep test adds to run, as the product's "Test API"
// button: on a terminal it asks for the refs that have no value and
// remembers the answers per node file; -save-schema keeps the inferred
// output fields in the node file.

// refKind is how a ref is asked for.
type refKind int

const (
	refText   refKind = iota // asked with echo, remembered
	refSecret                // asked without echo, never remembered
	refFile                  // a path, remembered, sent as an attachment
)

// askTestValues asks, on a terminal, for every ref of node without a value
// in params, the last answer for this node file as the default, and
// remembers the answers; -fresh (fresh) forgets the remembered ones first,
// also without a terminal. Without a terminal it never asks. A node read
// from standard input has no memory.
func (c *cli) askTestValues(nodePath string, node *httpstep.NodeConfig, params httpstep.Values, fresh bool) error {
	key := ""
	if nodePath != "-" {
		abs, err := filepath.Abs(nodePath)
		if err != nil {
			return fmt.Errorf("httpstep: %w", err)
		}
		key = abs
	}
	p := c.terminal()
	if p == nil && (key == "" || !fresh) {
		return nil
	}
	mem, err := loadMemory()
	if err != nil {
		return err
	}
	if fresh && key != "" {
		mem.forget(key)
	}
	if p != nil {
		if err := c.ask(p, node, params, mem.values(key)); err != nil {
			return err
		}
	}
	if key == "" {
		return nil
	}
	return mem.save()
}

// ask asks for each ref without a value and notes the answers in remembered.
func (c *cli) ask(p *prompter, node *httpstep.NodeConfig, params httpstep.Values, remembered map[string]string) error {
	for _, ref := range node.Refs() {
		kind := refKindOf(node, ref)
		if kind == refSecret {
			delete(remembered, ref) // remembered before the ref was known to be a secret
		}
		if _, ok := params.Lookup(ref); ok {
			continue
		}
		v, err := askRef(p, ref, kind, remembered)
		if err != nil {
			return fmt.Errorf("httpstep: test: {{%s}}: %w", ref, err)
		}
		if v != nil {
			setParam(params, ref, v)
		}
	}
	return nil
}

// askRef asks for one ref; nil when left empty.
func askRef(p *prompter, ref string, kind refKind, remembered map[string]string) (any, error) {
	if kind == refSecret {
		s, err := p.askSecret(ref)
		if err != nil || s == "" {
			return nil, err
		}
		return httpstep.Secret(s), nil
	}
	question := ref
	if kind == refFile {
		question += " (path of a file)"
	}
	answer, err := p.ask(question, remembered[ref])
	if err != nil || answer == "" {
		return nil, err
	}
	remembered[ref] = answer
	if kind == refFile {
		return attachment(answer)
	}
	return answer, nil
}

// refKindOf says how ref is asked for. A ref is a file when an attachment
// field names it. It is a secret when its name says so (token, secret,
// password, key, auth ...: secretName) or when it fills a credential: a
// header such as Authorization, Cookie or X-Api-Key, or a token-like query
// parameter, a credential of the auth block or a password-like form field.
// Give any other secret with -s ref=value.
func refKindOf(node *httpstep.NodeConfig, ref string) refKind {
	if b := node.Body; b != nil {
		if strings.TrimSpace(b.File) == ref {
			return refFile
		}
		for _, f := range b.Fields {
			if strings.TrimSpace(f.File) == ref {
				return refFile
			}
		}
	}
	if secretName(ref) || fillsCredential(node, ref) {
		return refSecret
	}
	for _, h := range node.Headers {
		if credentialHeader(h.Key) && usesRef(h.Value, ref) {
			return refSecret
		}
	}
	for _, q := range queryPairs(node) {
		if secretName(q.Key) && usesRef(q.Value, ref) {
			return refSecret
		}
	}
	return refText
}

// fillsCredential reports whether ref fills a credential of the auth block
// (password, token, apiKey value, client secret, refresh token) or the value
// of a password-like form field.
func fillsCredential(node *httpstep.NodeConfig, ref string) bool {
	var texts []string
	if a := node.Auth; a != nil {
		texts = append(texts, a.Password, a.Token, a.Value)
		if o := a.OAuth2; o != nil {
			texts = append(texts, o.ClientSecret, o.RefreshToken)
		}
	}
	if b := node.Body; b != nil {
		for _, f := range b.Fields {
			if secretName(f.Key) {
				texts = append(texts, f.Value)
			}
		}
	}
	for _, t := range texts {
		if usesRef(t, ref) {
			return true
		}
	}
	return false
}

// secretWords are the parts of a name that mark a secret.
var secretWords = []string{"token", "secret", "password", "passwd", "pwd", "apikey", "api_key", "api-key",
	"credential", "session", "signature", "auth", "private", "cookie"}

// secretName reports whether a ref or parameter name marks a secret: one of
// secretWords in it, or its last part "key", "sig" or "pin".
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	last := n[strings.LastIndexAny(n, ".-_")+1:]
	return last == "key" || last == "sig" || last == "pin"
}

// credentialHeader reports whether a header carries credentials.
func credentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	return secretName(name)
}

// queryPairs are the node's query entries and the pairs of its URL's query.
func queryPairs(node *httpstep.NodeConfig) []httpstep.KeyValue {
	pairs := append([]httpstep.KeyValue(nil), node.Query...)
	if _, query, ok := strings.Cut(node.URL, "?"); ok {
		for part := range strings.SplitSeq(query, "&") {
			k, v, _ := strings.Cut(part, "=")
			pairs = append(pairs, httpstep.KeyValue{Key: k, Value: v})
		}
	}
	return pairs
}

// usesRef reports whether template text has {{ref}} (blanks allowed), as
// the library's template parser reads it: NodeConfig.Refs of a node that
// holds only text, so the CLI finds refs the one way the run does.
func usesRef(text, ref string) bool {
	probe := httpstep.NodeConfig{Query: []httpstep.KeyValue{{Value: text}}}
	return slices.Contains(probe.Refs(), ref)
}

// saveSchema writes schema into the node file's "response" and changes
// nothing else of the file: its layout, key order and values as typed stay.
func (c *cli) saveSchema(nodePath string, schema *httpstep.Schema) error {
	if schema == nil {
		fmt.Fprintln(c.stderr, "httpstep: note: -save-schema: no schema was inferred, the node file is unchanged")
		return nil
	}
	data, name, err := c.readInput(nodePath)
	if err != nil {
		return err
	}
	edited, err := setMember(data, "response", schema)
	if err != nil {
		return fmt.Errorf("httpstep: -save-schema: %s: %w", name, err)
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(nodePath); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := writeFileAtomic(nodePath, edited, perm); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "httpstep: note: the inferred schema is saved in %s as \"response\"\n", nodePath)
	return nil
}
