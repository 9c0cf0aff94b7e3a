package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/httpstep/httpstep"
)

// jobKind names the River job kind of a delivery.
const jobKind = "httpstep_delivery"

// deliveryArgs is what a River job stores for one delivery: the node, its
// parameter values without Secrets and Files, where those stood, and the
// request identity every attempt carries.
type deliveryArgs struct {
	Node           *httpstep.NodeConfig `json:"node"`
	Values         json.RawMessage      `json:"values"`
	Secrets        [][]string           `json:"secrets,omitempty"` // paths of Secret values, resolved through Config.Secrets
	Files          [][]string           `json:"files,omitempty"`   // paths of File values, opened through Config.Files
	IdempotencyKey string               `json:"idempotencyKey"`
	WebhookID      string               `json:"webhookId"`
}

// Kind implements river.JobArgs.
func (deliveryArgs) Kind() string { return jobKind }

// ref is the parameter reference of a path, as Config.Secrets and
// Config.Files receive it: its keys joined with ".".
func ref(path []string) string { return strings.Join(path, ".") }

// splitValues returns values as JSON with every Secret and File taken out,
// and the paths where they stood. It walks nested maps as Values.Lookup
// does; a Secret or File anywhere else (in a list) cannot be referred to by
// a ref, so it is an error rather than something stored.
func splitValues(values httpstep.Values) (json.RawMessage, [][]string, [][]string, error) {
	var s splitter
	clean, err := s.walk(nil, map[string]any(values))
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, nil, nil, &ValueError{Reason: "cannot be stored as JSON: " + err.Error()}
	}
	return b, s.secrets, s.files, nil
}

// splitter collects the paths of Secret and File values while walking.
type splitter struct {
	secrets, files [][]string
}

// walk returns v without its Secret and File values.
func (s *splitter) walk(path []string, v any) (any, error) {
	switch x := v.(type) {
	case httpstep.Secret:
		s.secrets = append(s.secrets, path)
		return nil, nil
	case httpstep.File, *httpstep.File:
		s.files = append(s.files, path)
		return nil, nil
	case httpstep.Values:
		return s.walkMap(path, x)
	case map[string]any:
		return s.walkMap(path, x)
	}
	if holdsHidden(reflect.ValueOf(v), 0) {
		return nil, &ValueError{Ref: ref(path), Reason: "holds a Secret or File inside a list or struct; only map values can be resolved at send time, and nothing secret is ever stored"}
	}
	return v, nil
}

// maxHiddenDepth bounds the search for Secrets and Files in a stored value.
const maxHiddenDepth = 64

var (
	secretType = reflect.TypeFor[httpstep.Secret]()
	fileType   = reflect.TypeFor[httpstep.File]()
)

// holdsHidden reports whether a Secret or File sits anywhere in v: in list
// elements, struct fields, map keys or values, behind pointers and
// interfaces. A value nested deeper than maxHiddenDepth counts as holding
// one, so nothing unchecked is stored.
func holdsHidden(v reflect.Value, depth int) bool {
	if !v.IsValid() {
		return false
	}
	if depth > maxHiddenDepth {
		return true
	}
	if t := v.Type(); t == secretType || t == fileType {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holdsHidden(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && holdsHidden(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if holdsHidden(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holdsHidden(it.Key(), depth+1) || holdsHidden(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

// walkMap walks the members of a map; a nil result leaves a member out.
func (s *splitter) walkMap(path []string, m map[string]any) (any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		c, err := s.walk(append(path[:len(path):len(path)], k), v)
		if err != nil {
			return nil, err
		}
		if c != nil || !hidden(v) {
			out[k] = c
		}
	}
	return out, nil
}

// hidden reports whether v is resolved at send time instead of stored.
func hidden(v any) bool {
	switch v.(type) {
	case httpstep.Secret, httpstep.File, *httpstep.File:
		return true
	}
	return false
}

// resolver gives the values the store left out.
type resolver struct {
	secrets func(ctx context.Context, ref string) (httpstep.Secret, error)
	files   func(ctx context.Context, ref string) (httpstep.File, error)
}

// check fails when a value kind is stored by reference with no resolver.
func (r resolver) check(secrets, files [][]string) error {
	if len(secrets) > 0 && r.secrets == nil {
		return &ValueError{Ref: ref(secrets[0]), Reason: "is a Secret and Config.Secrets is nil: set it so the queue can resolve secrets at send time; they are never stored"}
	}
	if len(files) > 0 && r.files == nil {
		return &ValueError{Ref: ref(files[0]), Reason: "is a File and Config.Files is nil: set it so the queue can open attachments at send time"}
	}
	return nil
}

// values rebuilds the parameter values of a job, Secrets and Files
// resolved. Numbers stay as written (json.Number).
func (r resolver) values(ctx context.Context, a *deliveryArgs) (httpstep.Values, error) {
	if err := r.check(a.Secrets, a.Files); err != nil {
		return nil, err
	}
	vals := httpstep.Values{}
	if len(a.Values) > 0 {
		d := json.NewDecoder(strings.NewReader(string(a.Values)))
		d.UseNumber()
		if err := d.Decode(&vals); err != nil {
			return nil, fmt.Errorf("httpstep: durable: the stored values do not decode: %w", err)
		}
	}
	for _, p := range a.Secrets {
		s, err := r.secrets(ctx, ref(p))
		if err != nil {
			return nil, &ResolveError{Ref: ref(p), Err: err}
		}
		set(vals, p, s)
	}
	for _, p := range a.Files {
		f, err := r.files(ctx, ref(p))
		if err != nil {
			return nil, &ResolveError{Ref: ref(p), Err: err}
		}
		set(vals, p, f)
	}
	return vals, nil
}

// set puts v at path in m, making the maps on the way.
func set(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}
