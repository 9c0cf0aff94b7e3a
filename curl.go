package httpstep

import "errors"

// ParseCurl turns a pasted cURL command into a NodeConfig.
func ParseCurl(command string) (*NodeConfig, error) {
	return nil, errors.New("httpstep: ParseCurl is not implemented yet")
}
