package httpstep

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

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
			return nil, errorf("success codes: write them as [200,201] or \"200,201\"")
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
// string gives nil (any 2xx). SuccessRule's JSON reads the same text; a
// node editor calls ParseCodes to check a code box as the user types and to
// store the codes as numbers. Its error says what is wrong with the text.
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
	bad := errorf("success code %q: write a status such as 200, a class such as 2xx, or a range such as 200-204", f)
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
