//go:build postgres

package durable

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpstep/httpstep"
)

// pgProxy is a TCP proxy on loopback in front of PostgreSQL that a test
// cuts, as a database that went away would: cut closes every connection
// and refuses new ones until restore. Safer than stopping a cluster that
// other tests share.
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *pgProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// serve forwards c to PostgreSQL until either side or cut ends it.
func (p *pgProxy) serve(c net.Conn) {
	defer c.Close()
	if !p.track(c) {
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil || !p.track(s) {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go pipe(s, c)
	go pipe(c, s)
	<-done
	c.Close()
	s.Close()
	<-done
}

// track notes c for cut; false when the proxy is down.
func (p *pgProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *pgProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *pgProxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}

// poolVia opens a pool on schema whose connections go through addr.
func poolVia(t *testing.T, dsn, schema, addr string) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(p)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// keyedArrivals is a receiver answering 200 that notes when each request
// came and its Idempotency-Key.
type keyedArrivals struct {
	mu    sync.Mutex
	times []time.Time
	keys  map[string]int
}

func (k *keyedArrivals) serve(_ int, _ http.ResponseWriter, r *http.Request) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.times = append(k.times, time.Now())
	k.keys[r.Header.Get("Idempotency-Key")]++
	return 0
}

// between counts the requests that came from a to b.
func (k *keyedArrivals) between(a, b time.Time) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, at := range k.times {
		if at.After(a) && at.Before(b) {
			n++
		}
	}
	return n
}

// TestPostgresGoesAway: PostgreSQL is cut off mid-run for 3 s. Attempts in
// flight fall back to the process's own limits and say so in their notes,
// the queue fetches nothing new until the database is back, and then
// delivers the rest: every delivery once to the receiver (by
// Idempotency-Key), none lost.
func TestPostgresGoesAway(t *testing.T) {
	onPostgres(t, func(t *testing.T, db pgDB) {
		const n, outage = 60, 3 * time.Second
		rcv := &keyedArrivals{keys: map[string]int{}}
		api := newArrivals(t, rcv.serve)
		u, err := pgxpool.ParseConfig(db.dsn)
		require.NoError(t, err)
		proxy := newPGProxy(t, net.JoinHostPort(u.ConnConfig.Host, strconv.Itoa(int(u.ConnConfig.Port))))
		pool := poolVia(t, db.dsn, db.schema, proxy.ln.Addr().String())
		cfg := fastConfig()
		cfg.Client.Limits = []httpstep.Limit{{PerSecond: 10}}
		cfg.RescueAfter = 8 * time.Second
		cfg.Workers = 5
		ctx := context.Background()
		q, err := OpenPostgres(ctx, pool, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, q.Close(ctx)) })
		node := fastPush(api.URL, 5)
		node.Timeout = httpstep.Duration(time.Second)
		ids := make([]int64, n)
		for i := range ids {
			ids[i], err = q.Enqueue(ctx, node, order)
			require.NoError(t, err)
		}
		startT(t, q)
		require.Eventually(t, func() bool { return len(api.all()) >= n/4 }, 10*time.Second, 5*time.Millisecond)
		cut := time.Now()
		proxy.cut()
		time.Sleep(outage)
		proxy.restore()
		back := time.Now()

		direct := db.open(t, fastConfig()) // reads the outcome without the proxy
		var degraded, lost int
		for _, id := range ids {
			d := waitState(t, direct, id, StateDelivered, 40*time.Second)
			for _, a := range d.Attempts {
				if strings.Contains(a.Error, "the outcome is unknown") {
					lost++
				}
				for _, note := range a.Notes {
					if strings.Contains(note, "the shared State did not answer") {
						degraded++
					}
				}
			}
		}
		during := rcv.between(cut.Add(100*time.Millisecond), back)
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		sentTwice := len(rcv.times) - len(rcv.keys)
		t.Logf("PostgreSQL away %v: %d requests during it (in flight: Workers %d), %d attempts noted the fallback, "+
			"%d attempts lost with their records (rescued), %d keys of %d delivered, %d sent twice with the same key, all delivered %v after it came back",
			outage, during, cfg.Workers, degraded, lost, len(rcv.keys), n, sentTwice, time.Since(back).Round(100*time.Millisecond))
		assert.Len(t, rcv.keys, n, "deliveries that reached the receiver")
		assert.LessOrEqual(t, during, cfg.Workers, "requests during the outage beyond those fetched before it")
		assert.Positive(t, degraded, "attempts that noted the fallback to the process's own limits")
	})
}
