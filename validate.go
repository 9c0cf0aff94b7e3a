package httpstep

import "strings"

// ConfigError lists every problem found in a NodeConfig. Execute returns it
// before anything is sent, whatever the node's failure policy.
type ConfigError struct {
	Problems []Problem
}

// Problem is one configuration problem: the field (a JSON path such as
// "headers[1].value") and what is wrong with it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error returns every problem, one per line after the first.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("httpstep: invalid node configuration")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

func (e *ConfigError) add(field, msg string) {
	e.Problems = append(e.Problems, Problem{Field: field, Message: msg})
}
