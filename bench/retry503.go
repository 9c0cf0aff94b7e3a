package bench

import (
	"context"
	"net/http"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/httpstep/httpstep"
)

// retryWait is the back-off between attempts of BenchmarkRetry503.
const retryWait = time.Millisecond

// Retry503 is the job of BenchmarkRetry503: the GET of GetJSON to a path
// that answers 503 twice and then 200, with three attempts and a 1 ms
// back-off. httpstep's back-off has full jitter (a wait drawn from 0 to
// 1 ms); the others wait 1 ms.
var Retry503 = []Contender[Order]{
	{"nethttp", func(s *Server) (Op[Order], func()) {
		hc := &http.Client{Transport: newTransport()}
		u := s.URL + "/flaky/nethttp"
		return func(ctx context.Context) (Order, error) {
			return nethttpOrder(ctx, hc, u, 3)
		}, hc.CloseIdleConnections
	}},
	{"httpstep", func(s *Server) (Op[Order], func()) {
		return httpstepGet(compiled, s.URL+"/flaky/httpstep", &httpstep.RetryPolicy{
			MaxAttempts:     3,
			InitialInterval: httpstep.Duration(retryWait),
			MaxInterval:     httpstep.Duration(retryWait),
		})
	}},
	{"resty", func(s *Server) (Op[Order], func()) {
		c := newResty().
			SetRetryCount(2).
			SetRetryWaitTime(retryWait).
			SetRetryMaxWaitTime(retryWait).
			AddRetryCondition(func(r *resty.Response, err error) bool {
				return r != nil && r.StatusCode() == http.StatusServiceUnavailable
			})
		return restyGet(c, s.URL+"/flaky/resty")
	}},
	{"retryablehttp", func(s *Server) (Op[Order], func()) {
		c := newRetryable()
		c.RetryMax = 2
		c.RetryWaitMin, c.RetryWaitMax = retryWait, retryWait
		return retryableGet(c, s.URL+"/flaky/retryablehttp")
	}},
}
