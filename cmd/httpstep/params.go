package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/httpstep/httpstep"
)

// param is one -p or -s argument, parsed but not yet resolved: a file is
// neither opened nor read until resolve.
type param struct {
	ref    string
	value  any    // the text, or the decoded JSON value of ref:=JSON
	path   string // ref=@PATH: an attachment (-p) or the file holding the secret (-s)
	secret bool
}

// parseParam parses "ref=value", "ref:=JSON" or "ref=@PATH". Secrets are
// text only. JSON numbers are kept as json.Number, so large IDs stay exact.
// Errors say how to write the argument; the flag package names the flag.
func parseParam(arg string, secret bool) (param, error) {
	ref, value, ok := strings.Cut(arg, "=")
	ref = strings.TrimSpace(ref)
	if !ok || ref == "" || ref == ":" {
		return param{}, errors.New("write ref=value, ref:=JSON or ref=@PATH")
	}
	p := param{ref: ref, value: value, secret: secret}
	switch {
	case strings.HasSuffix(ref, ":"):
		if secret {
			return param{}, errors.New("a secret is text: write ref=value")
		}
		p.ref = strings.TrimSpace(strings.TrimSuffix(ref, ":"))
		v, err := decodeJSONValue([]byte(value))
		if err != nil {
			return param{}, fmt.Errorf("the value after := is not JSON (%v): quote text as \"text\", or write ref=text", err)
		}
		p.value = v
	case strings.HasPrefix(value, "@"):
		p.path, p.value = value[1:], nil
		if p.path == "" {
			return param{}, errors.New("name the file after @")
		}
	}
	return p, nil
}

// decodeJSONValue decodes exactly one JSON value, numbers as json.Number.
func decodeJSONValue(data []byte) (any, error) {
	var v any
	err := decodeOne(data, &v)
	return v, err
}

// resolve returns the parameter's value: a Secret, a File for ref=@PATH, or
// the parsed value.
func (p param) resolve() (any, error) {
	switch {
	case p.secret && p.path != "":
		b, err := os.ReadFile(p.path)
		if err != nil {
			return nil, fmt.Errorf("httpstep: -s %s: %w", p.ref, err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		return httpstep.Secret(b), nil
	case p.secret:
		return httpstep.Secret(p.value.(string)), nil
	case p.path != "":
		return attachment(p.path)
	}
	return p.value, nil
}

// attachment describes a local file as an httpstep.File. The file is opened
// anew for every attempt and streamed, never read whole.
func attachment(path string) (httpstep.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return httpstep.File{}, fmt.Errorf("httpstep: attachment: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return httpstep.File{}, fmt.Errorf("httpstep: attachment %s is not a regular file: name a file", path)
	}
	return httpstep.File{
		Name: filepath.Base(path),
		Size: fi.Size(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// setParam sets ref in vals. A dotted ref is set inside the nested objects it
// walks, created as needed, so both {{a.b}} and a bare {{a}} see it; when
// vals already has ref as a literal key, or a non-object is in the way, the
// literal key is set, which Values.Lookup prefers.
func setParam(vals httpstep.Values, ref string, v any) {
	parts := strings.Split(ref, ".")
	if _, literal := vals[ref]; literal || len(parts) == 1 || slices.Contains(parts, "") {
		vals[ref] = v
		return
	}
	m := map[string]any(vals)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if _, taken := m[p]; taken {
				vals[ref] = v
				return
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// decodeParams reads a JSON object of parameters, numbers as json.Number.
func decodeParams(name string, data []byte) (httpstep.Values, error) {
	v, err := decodeJSONValue(data)
	if err != nil {
		return nil, jsonError(name, data, err)
	}
	return paramsObject(name, v)
}

// paramsObject is v as parameters, or an error naming where (name) it is
// not a JSON object.
func paramsObject(name string, v any) (httpstep.Values, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("httpstep: %s: the parameters must be a JSON object such as {\"user\": {\"id\": 7}}", name)
	}
	return httpstep.Values(m), nil
}
