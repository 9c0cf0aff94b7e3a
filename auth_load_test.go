package httpstep

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpstep/httpstep/internal/tokenpeer"
	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"
)

// TestTokenRequestsUnderLoad measures the token cache: how many token
// requests 1,000 Executes across 16 goroutines make, with a steady token,
// with every cached token expiring halfway (the clock jumps two hours), and
// with the server revoking the token halfway (the API answers 401).
//
//	go test -run TestTokenRequestsUnderLoad -v .
func TestTokenRequestsUnderLoad(t *testing.T) {
	const runs, workers = 1000, 16
	for _, tt := range []struct {
		name string
		mid  func(c *Client, peer *tokenpeer.Server, clock *atomic.Int64)
		max  int
	}{
		{"steady", func(*Client, *tokenpeer.Server, *atomic.Int64) {}, 1},
		{"expiry halfway", func(_ *Client, _ *tokenpeer.Server, clock *atomic.Int64) { clock.Add(int64(2 * time.Hour)) }, 2},
		{"revoked halfway", func(_ *Client, peer *tokenpeer.Server, _ *atomic.Int64) {
			peer.Revoke(gjson.Get(peer.Responses()[0], "access_token").String())
		}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			peer := tokenpeer.New(t, tokenpeer.Options{})
			c := testClient(t)
			var clock atomic.Int64
			c.tokenCache().Now = func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
			node := oauthNode(peer, GrantClientCredentials)
			jobs := make(chan int)
			var wg sync.WaitGroup
			var failed atomic.Int32
			for range workers {
				wg.Go(func() {
					for range jobs {
						if _, err := c.Execute(context.Background(), node, oauthParams()); err != nil {
							failed.Add(1)
						}
					}
				})
			}
			start := time.Now()
			for i := range runs {
				if i == runs/2 {
					tt.mid(c, peer, &clock)
				}
				jobs <- i
			}
			close(jobs)
			wg.Wait()
			t.Logf("%s: %d Executes on %d goroutines in %v: %d token requests, %d failures",
				tt.name, runs, workers, time.Since(start).Round(time.Millisecond), peer.Requests(), failed.Load())
			assert.Zero(t, failed.Load())
			assert.Equal(t, tt.max, peer.Requests())
		})
	}
}
