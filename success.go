package httpstep

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/httpstep/httpstep/internal/jsoncheck"
	"github.com/tidwall/gjson"
)

// SuccessRule says which responses count as success.
type SuccessRule struct {
	Codes            []int             `json:"codes,omitempty"`            // JSON also accepts "200,201"; empty = any 2xx
	ErrorMessages    map[string]string `json:"errorMessages,omitempty"`    // failing status → message for the history
	ErrorMessage     string            `json:"errorMessage,omitempty"`     // message for any other failing status
	ErrorCodePath    string            `json:"errorCodePath,omitempty"`    // gjson path of a business error code in a 2xx body
	SuccessValues    []string          `json:"successValues,omitempty"`    // values at ErrorCodePath that mean success; none: any value is a failure
	ErrorMessagePath string            `json:"errorMessagePath,omitempty"` // gjson path of the business error message
	MissingCode      string            `json:"missingCode,omitempty"`      // "failure" (default) | "success": a 2xx JSON body without a value at ErrorCodePath
}

// The values of SuccessRule.MissingCode: what a 2xx JSON answer without a
// value (absent or null) at ErrorCodePath means. WeChat and many others put
// errcode only on errors, and GraphQL has no errors member on success:
// such APIs need MissingCodeSuccess.
const (
	MissingCodeFailure = "failure" // the default: an answer that cannot show success fails
	MissingCodeSuccess = "success" // no code means no error
)

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

// answer reads the business code of any answer (a failing status's body
// too): the value at ErrorCodePath of a JSON body, absent when there is no
// path, no JSON or no value there.
func (s *SuccessRule) answer(body []byte) (answerCode, bool) {
	if s.ErrorCodePath == "" || jsoncheck.Check(body, maxNesting) != jsoncheck.Valid {
		return answerCode{}, false
	}
	v := pathGet(body, s.ErrorCodePath)
	if !v.Exists() || v.Type == gjson.Null {
		return answerCode{}, false
	}
	return answerCode{path: s.ErrorCodePath, value: v.String()}, true
}

func (s *SuccessRule) statusOK(status int) bool {
	if len(s.Codes) == 0 {
		return status >= 200 && status <= 299
	}
	return slices.Contains(s.Codes, status)
}

// codeProblem is why a 2xx body failed the business-code rule.
type codeProblem uint8

const (
	badCode codeProblem = iota + 1 // the code is not a success value
	noCode                         // the body has no code
	notJSON                        // the body is not complete JSON
	tooDeep                        // the body nests deeper than maxNesting
)

// message picks the failure message: ErrorMessages[status], the value at
// ErrorMessagePath, ErrorMessage, then the status text or the business-code
// problem.
func (s *SuccessRule) message(status int, body []byte, code string, problem codeProblem) string {
	if m := s.ErrorMessages[strconv.Itoa(status)]; m != "" {
		return m
	}
	if s.ErrorMessagePath != "" {
		if v := pathGet(body, s.ErrorMessagePath); v.Exists() && v.String() != "" {
			return v.String()
		}
	}
	if s.ErrorMessage != "" {
		return s.ErrorMessage
	}
	switch problem {
	case notJSON:
		if len(s.SuccessValues) == 0 {
			return fmt.Sprintf("the response is not complete JSON, so its %s cannot confirm success", s.ErrorCodePath)
		}
		return fmt.Sprintf("the response is not complete JSON, so its %s cannot confirm success (expected %s)", s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case tooDeep:
		return fmt.Sprintf("the response nests more than %d levels deep, so its %s is not read (expected %s)", maxNesting, s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case noCode:
		if len(s.SuccessValues) == 0 {
			return fmt.Sprintf("the response has no %s, so it cannot show success (success.missingCode is failure)", s.ErrorCodePath)
		}
		return fmt.Sprintf("the response has no %s, so it cannot show success (expected %s)", s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case badCode:
		if len(s.SuccessValues) == 0 {
			return fmt.Sprintf("the API answered with error code %s (at %s)", code, s.ErrorCodePath)
		}
		return fmt.Sprintf("the API answered with error code %s (%s is not one of the success values %s)", code, s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	}
	text := http.StatusText(status)
	if text == "" {
		text = "unknown status"
	}
	return fmt.Sprintf("the API answered %d %s", status, text)
}
