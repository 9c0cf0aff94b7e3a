package httpstep

// PushPolicy returns the product's policy for a push to a notification URL:
// 10 attempts in all, back-off from 1s doubling up to 5m.
func PushPolicy() *RetryPolicy {
	return &RetryPolicy{MaxAttempts: 10}
}

// PushNode returns the product's push of a record to a notification URL: a
// POST of the record at objectRef as the JSON body, a success only on HTTP
// 200 (a 201 is not a receipt and is retried), the 10 s timeout, [PushPolicy]
// and a Standard Webhooks signature when the Client has a SigningSecret.
func PushNode(url, objectRef string) *NodeConfig {
	return &NodeConfig{
		Method:  "POST",
		URL:     url,
		Object:  objectRef,
		Success: SuccessRule{Codes: []int{200}},
		Timeout: Duration(DefaultTimeout),
		Retry:   PushPolicy(),
		Sign:    true,
	}
}
