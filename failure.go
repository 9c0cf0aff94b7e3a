package httpstep

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// FailureKind classifies why a node failed.
type FailureKind string

// The failure kinds.
const (
	KindTimeout   FailureKind = "timeout"    // an attempt exceeded its timeout
	KindNetwork   FailureKind = "network"    // DNS, connect, reset, a body cut short, too many redirects
	KindTLS       FailureKind = "tls"        // certificate or handshake failure
	KindBlocked   FailureKind = "blocked"    // the SSRF guard refused the destination; never retried
	KindStatus    FailureKind = "status"     // the status was not a success code
	KindErrorCode FailureKind = "error_code" // the business code in the body was not a success value
	KindTooLarge  FailureKind = "too_large"  // the response exceeded Client.MaxResponseBytes
	KindParam     FailureKind = "param"      // a parameter could not be placed in the request; nothing was sent, or an attachment broke off mid-stream so no complete request arrived
	KindCanceled  FailureKind = "canceled"   // the caller's context was canceled
)

// KindUnavailable: the host's circuit is open, or its Retry-After pause outlasts the context; nothing was sent.
const KindUnavailable FailureKind = "unavailable"

// SuccessRule says which responses count as success.
type SuccessRule struct {
	Codes            []int             `json:"codes,omitempty"`            // JSON also accepts "200,201"; empty = any 2xx
	ErrorMessages    map[string]string `json:"errorMessages,omitempty"`    // failing status → message for the history
	ErrorMessage     string            `json:"errorMessage,omitempty"`     // message for any other failing status
	ErrorCodePath    string            `json:"errorCodePath,omitempty"`    // gjson path of a business error code in a 2xx body
	SuccessValues    []string          `json:"successValues,omitempty"`    // values at ErrorCodePath that mean success
	ErrorMessagePath string            `json:"errorMessagePath,omitempty"` // gjson path of the business error message
}

// UnmarshalJSON reads codes as a JSON array of numbers or as the product's
// text form: "200,201", with spaces tolerated, classes such as "2xx" and
// ranges such as "200-204". Classes and ranges expand to their codes.
func (s *SuccessRule) UnmarshalJSON(b []byte) error {
	type plain SuccessRule
	var aux struct {
		plain
		Codes json.RawMessage `json:"codes,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*s = SuccessRule(aux.plain)
	codes, err := parseCodes(aux.Codes)
	s.Codes = dedupeCodes(codes)
	return err
}

// parseCodes reads the codes field in any of its accepted forms.
func parseCodes(raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(raw, &one); err == nil {
		return []int{one}, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("httpstep: success codes: write them as [200,201] or \"200,201\"")
		}
		var codes []int
		for _, it := range items {
			c, err := parseCodes(it)
			if err != nil {
				return nil, err
			}
			codes = append(codes, c...)
		}
		return codes, nil
	}
	return ParseCodes(text)
}

// ParseCodes parses the product's success-code text: codes separated by
// commas (English or full-width) or spaces, "2xx"-style classes and
// "200-204" ranges, each code once in order of first mention. The empty
// string gives nil (any 2xx).
func ParseCodes(text string) ([]int, error) {
	codes, err := parseCodeList(text)
	return dedupeCodes(codes), err
}

// dedupeCodes keeps the first mention of each code.
func dedupeCodes(codes []int) []int {
	out := codes[:0]
	for i, c := range codes {
		if !slices.Contains(codes[:i], c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func parseCodeList(text string) ([]int, error) {
	var codes []int
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == ' ' || r == '\t' || r == '\n'
	})
	for _, f := range fields {
		c, err := parseCodeItem(f)
		if err != nil {
			return nil, err
		}
		codes = append(codes, c...)
	}
	return codes, nil
}

// parseCodeItem parses "200", "2xx" or "200-204".
func parseCodeItem(f string) ([]int, error) {
	bad := fmt.Errorf("httpstep: success code %q: write a status such as 200, a class such as 2xx, or a range such as 200-204", f)
	lf := strings.ToLower(f)
	if len(lf) == 3 && strings.HasSuffix(lf, "xx") && lf[0] >= '1' && lf[0] <= '5' {
		base := int(lf[0]-'0') * 100
		return codeRange(base, base+99), nil
	}
	if lo, hi, ok := strings.Cut(f, "-"); ok {
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a > b || b-a > 499 {
			return nil, bad
		}
		return codeRange(a, b), nil
	}
	c, err := strconv.Atoi(f)
	if err != nil {
		return nil, bad
	}
	return []int{c}, nil
}

func codeRange(a, b int) []int {
	out := make([]int, 0, b-a+1)
	for c := a; c <= b; c++ {
		out = append(out, c)
	}
	return out
}

// Failure is a classified failure of a node. It implements error; Unwrap
// gives the underlying transport or parameter error, if any. Message is
// written for the person reading the execution history.
type Failure struct {
	Kind       FailureKind
	StatusCode int    // the status that came back, 0 when none did
	Code       string // the value at ErrorCodePath, when that decided
	Message    string
	Err        error
}

// Error returns "httpstep: <kind>: <message>".
func (f *Failure) Error() string {
	return "httpstep: " + string(f.Kind) + ": " + f.Message
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// evaluate applies the success rule to a response: the status must be in
// Codes (default any 2xx); then, where ErrorCodePath is set, the value there
// must be one of SuccessValues. A body without that value (an HTML
// maintenance page, say) fails with kind error_code and an empty Code.
func evaluate(rule *SuccessRule, status int, body []byte) *Failure {
	if !rule.statusOK(status) {
		return &Failure{Kind: KindStatus, StatusCode: status, Message: rule.message(status, body, "", false)}
	}
	if rule.ErrorCodePath == "" {
		return nil
	}
	v := gjson.GetBytes(body, rule.ErrorCodePath)
	if !v.Exists() {
		return &Failure{Kind: KindErrorCode, StatusCode: status, Message: rule.message(status, body, "", true)}
	}
	code := v.String()
	if slices.Contains(rule.SuccessValues, code) {
		return nil
	}
	return &Failure{Kind: KindErrorCode, StatusCode: status, Code: code, Message: rule.message(status, body, code, true)}
}

func (s *SuccessRule) statusOK(status int) bool {
	if len(s.Codes) == 0 {
		return status >= 200 && status <= 299
	}
	return slices.Contains(s.Codes, status)
}

// message picks the failure message: ErrorMessages[status], the value at
// ErrorMessagePath, ErrorMessage, then the status text.
func (s *SuccessRule) message(status int, body []byte, code string, byCode bool) string {
	if m := s.ErrorMessages[strconv.Itoa(status)]; m != "" {
		return m
	}
	if s.ErrorMessagePath != "" {
		if v := gjson.GetBytes(body, s.ErrorMessagePath); v.Exists() && v.String() != "" {
			return v.String()
		}
	}
	if s.ErrorMessage != "" {
		return s.ErrorMessage
	}
	if byCode {
		if code == "" {
			return fmt.Sprintf("the response has no %s, so it cannot show success (expected %s)", s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
		}
		return fmt.Sprintf("the API answered with error code %s (%s is not one of the success values %s)", code, s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	}
	text := http.StatusText(status)
	if text == "" {
		text = "unknown status"
	}
	return fmt.Sprintf("the API answered %d %s", status, text)
}
