package httpstep

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

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
		if v := bodyPath(body, s.ErrorMessagePath); v.Exists() && v.String() != "" {
			return v.String()
		}
	}
	if s.ErrorMessage != "" {
		return s.ErrorMessage
	}
	switch problem {
	case notJSON:
		return fmt.Sprintf("the response is not complete JSON, so its %s cannot confirm success (expected %s)", s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case tooDeep:
		return fmt.Sprintf("the response nests more than %d levels deep, so its %s is not read (expected %s)", maxNesting, s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case noCode:
		return fmt.Sprintf("the response has no %s, so it cannot show success (expected %s)", s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	case badCode:
		return fmt.Sprintf("the API answered with error code %s (%s is not one of the success values %s)", code, s.ErrorCodePath, strings.Join(s.SuccessValues, ", "))
	}
	text := http.StatusText(status)
	if text == "" {
		text = "unknown status"
	}
	return fmt.Sprintf("the API answered %d %s", status, text)
}
