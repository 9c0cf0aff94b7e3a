package bench

import (
	"context"
	"fmt"

	"github.com/tidwall/gjson"
)

// idlePerHost is the idle connections per host every contender's client
// keeps, so that none is penalised by its default (httpstep's is 64,
// net/http's 2, resty's and go-retryablehttp's GOMAXPROCS+1).
const idlePerHost = 64

// Op does a benchmark's job once: send, check the status, read the fields.
type Op[T any] func(ctx context.Context) (T, error)

// Contender is one way of doing a benchmark's job. New builds the
// contender's client for the server and returns the job and a function that
// closes the client's idle connections.
type Contender[T any] struct {
	Name string
	New  func(s *Server) (Op[T], func())
}

// Order holds the three fields every contender reads from the 1 KiB reply.
type Order struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	Total  float64 `json:"total"`
}

// check reports whether o holds what the server sent.
func (o Order) check() error {
	if want := (Order{wantID, wantStatus, wantTotal}); o != want {
		return fmt.Errorf("read %+v, want %+v", o, want)
	}
	return nil
}

// gjsonOrder reads the three fields with gjson, as the net/http-shaped
// contenders do.
func gjsonOrder(body []byte) Order {
	return Order{
		ID:     gjson.GetBytes(body, "id").String(),
		Status: gjson.GetBytes(body, "status").String(),
		Total:  gjson.GetBytes(body, "total").Float(),
	}
}

// statusError is a reply whose status was not the one expected.
type statusError struct {
	code int
	body []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d: %.200s", e.code, e.body)
}
