package bench

import (
	"context"
	"testing"
)

// testEach runs every contender's job twice against a strict server, which
// answers 400 unless the request carries exactly the values each contender
// must send, and checks what the job read: a benchmark cannot silently
// measure failures.
func testEach[T any](t *testing.T, cs []Contender[T], check func(T) error) {
	t.Helper()
	s := NewServer(true)
	defer s.Close()
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			op, done := c.New(s)
			defer done()
			for range 2 {
				v, err := op(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if err := check(v); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestGetJSON(t *testing.T)  { testEach(t, GetJSON, Order.check) }
func TestPostJSON(t *testing.T) { testEach(t, PostJSON, Order.check) }
func TestRetry503(t *testing.T) { testEach(t, Retry503, Order.check) }
func TestRows(t *testing.T)     { testEach(t, Rows, func(t Tally) error { return t.check() }) }
func TestUpload(t *testing.T)   { testEach(t, Upload, checkUpload) }

// TestStrictServerRefuses proves the tests above can fail: with another
// token, query value or note, the strict server refuses every contender.
func TestStrictServerRefuses(t *testing.T) {
	s := NewServer(true)
	defer s.Close()
	cases := []struct {
		name string
		v    *string
		cs   []Contender[Order]
	}{
		{"token", &token, GetJSON},
		{"query", &queryStatus, GetJSON},
		{"post token", &token, PostJSON},
		{"note", &postNote, PostJSON},
	}
	for _, tc := range cases {
		saved := *tc.v
		*tc.v += "&x=1"
		for _, c := range tc.cs {
			op, done := c.New(s)
			if _, err := op(context.Background()); err == nil {
				t.Errorf("%s: %s with a changed value was answered 200", tc.name, c.Name)
			}
			done()
		}
		*tc.v = saved
	}
}

// TestParallel checks that 16 goroutines sharing each contender's client
// get the right fields and reuse connections.
func TestParallel(t *testing.T) {
	s := NewServer(true)
	defer s.Close()
	for _, c := range GetJSON {
		t.Run(c.Name, func(t *testing.T) {
			op, done := c.New(s)
			defer done()
			before := s.Conns()
			if err := parallel(320, op); err != nil {
				t.Fatal(err)
			}
			if n := s.Conns() - before; n > 2*parallelism {
				t.Errorf("320 requests 16 at a time opened %d connections, want at most %d", n, 2*parallelism)
			}
		})
	}
}
