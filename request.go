package httpstep

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NodeConfig is the stored configuration of one "Send API Request" node. It
// round-trips through encoding/json unchanged. The zero value is a GET with no
// URL, which [NodeConfig.Validate] rejects.
type NodeConfig struct {
	Method             string       `json:"method"`                       // GET POST PUT DELETE HEAD PATCH; empty = GET (POST when Object is set)
	URL                string       `json:"url"`                          // template, see "Dynamic parameters"
	Query              []KeyValue   `json:"query,omitempty"`              // appended to the URL's query, values are templates
	Headers            []KeyValue   `json:"headers,omitempty"`            // values are templates
	Body               *Body        `json:"body,omitempty"`               // request body; GET and HEAD never carry one
	Object             string       `json:"object,omitempty"`             // "Send Specified Data Object": ref of the record sent as the JSON body
	Success            SuccessRule  `json:"success,omitempty"`            // what counts as success
	OnFailure          Policy       `json:"onFailure,omitempty"`          // "terminate" (default) | "continue"
	Timeout            Duration     `json:"timeout,omitempty"`            // per attempt; default 10s
	UseProxy           bool         `json:"useProxy,omitempty"`           // use the Client's (organisation's) proxy
	InsecureSkipVerify bool         `json:"insecureSkipVerify,omitempty"` // TLS verification is ON unless this is set
	Retry              *RetryPolicy `json:"retry,omitempty"`              // nil = one attempt
	Response           *Schema      `json:"response,omitempty"`           // output fields, usually from InferSchema
	Paginate           *Pagination  `json:"paginate,omitempty"`           // pull every page of a list
	// Sign asks for a Standard Webhooks signature on every attempt, made with
	// the Client's SigningSecret. It is ignored when the Client has none.
	Sign bool `json:"sign,omitempty"`
}

// KeyValue is one query entry or header. Value is a template.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Policy says what the workflow does when the node fails: "terminate" (the
// default, also for the empty string) or "continue".
type Policy string

// The failure policies.
const (
	Terminate Policy = "terminate"
	Continue  Policy = "continue"
)

// DefaultTimeout is the per-attempt timeout of a node that sets none.
const DefaultTimeout = 10 * time.Second

// Duration is a time.Duration that reads from JSON as a "1.5s"-style string
// or a number of milliseconds, and is written as a string.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string such as "10s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "10s", "1m30s", "10000" (milliseconds as text) or a
// number of milliseconds (fractions allowed).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
		if v, err := time.ParseDuration(s); err == nil {
			*d = Duration(v)
			return nil
		}
	}
	ms, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("httpstep: duration %s: write it as \"10s\" or as a number of milliseconds", string(b))
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// String returns the duration in Go notation, e.g. "10s".
func (d Duration) String() string { return time.Duration(d).String() }

// method returns the HTTP method the node sends.
func (n *NodeConfig) method() string {
	m := strings.ToUpper(strings.TrimSpace(n.Method))
	if m == "" {
		if n.Object != "" {
			return "POST"
		}
		return "GET"
	}
	return m
}

// timeout returns the per-attempt timeout.
func (n *NodeConfig) timeout() time.Duration {
	if n.Timeout > 0 {
		return time.Duration(n.Timeout)
	}
	return DefaultTimeout
}

// policy returns the failure policy, terminate when unset.
func (n *NodeConfig) policy() Policy {
	if n.OnFailure == "" {
		return Terminate
	}
	return Policy(strings.ToLower(string(n.OnFailure)))
}
