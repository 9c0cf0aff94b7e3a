package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/webhook"
)

// transcoder is a loopback API that accepts jobs carrying a callback URL in
// their JSON body and hands each (video, URL) to the test, which calls back
// as the API would.
type transcoder struct {
	*httptest.Server
	jobs chan transcodeJob
}

type transcodeJob struct{ video, callback string }

func newTranscoder(t *testing.T) *transcoder {
	tc := &transcoder{jobs: make(chan transcodeJob, 256)}
	tc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var job struct{ Video, Callback string }
		if err := json.NewDecoder(r.Body).Decode(&job); err != nil || job.Callback == "" {
			http.Error(w, "bad job", http.StatusBadRequest)
			return
		}
		tc.jobs <- transcodeJob{job.Video, job.Callback}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(tc.Close)
	return tc
}

// next waits (at most 10 s) for the next job the API accepted.
func (tc *transcoder) next(t *testing.T) transcodeJob {
	t.Helper()
	select {
	case j := <-tc.jobs:
		return j
	case <-time.After(10 * time.Second):
		t.Fatal("the API received no job within 10s")
		return transcodeJob{}
	}
}

// transcodeNode asks the transcoder for a job and waits for its call back.
func transcodeNode(base string, wait time.Duration) *httpstep.NodeConfig {
	return &httpstep.NodeConfig{
		Method:   "POST",
		URL:      base + "/jobs",
		Timeout:  httpstep.Duration(2 * time.Second),
		Body:     &httpstep.Body{Kind: httpstep.BodyRaw, ContentType: "application/json", Raw: `{"video":"{{video}}","callback":"{{$callback.url}}"}`},
		Callback: &httpstep.Callback{Timeout: httpstep.Duration(wait)},
	}
}

// hooks is the loopback server where the host mounts CallbackHandler; it
// serves the handler of whichever Queue was set last.
type hooks struct {
	*httptest.Server
	h atomic.Pointer[http.Handler]
}

func newHooks(t *testing.T) *hooks {
	hk := &hooks{}
	hk.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := hk.h.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no queue", http.StatusServiceUnavailable)
	}))
	t.Cleanup(hk.Close)
	return hk
}

// serve makes q's handler the one the hooks server runs.
func (hk *hooks) serve(q *Queue) {
	h := q.CallbackHandler()
	hk.h.Store(&h)
}

// base is the Config.CallbackURL of the hooks server.
func (hk *hooks) base() string { return hk.URL + "/httpstep/cb" }

// callbackConfig is fastConfig with the hooks server's CallbackURL.
func callbackConfig(hk *hooks) Config {
	cfg := fastConfig()
	cfg.CallbackURL = hk.base()
	return cfg
}

var callbackClient = &http.Client{Timeout: 10 * time.Second}

// call posts body to a callback URL as the API would and returns the status.
func call(t *testing.T, url, body string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := callbackClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

// transcodeOne starts q, enqueues a transcode of v1 on a transcoder of its
// own that waits up to wait for the call back, and returns the delivery's
// id and the job the API received.
func transcodeOne(t *testing.T, q *Queue, wait time.Duration) (int64, transcodeJob) {
	t.Helper()
	api := newTranscoder(t)
	startT(t, q)
	id, err := q.Enqueue(context.Background(), transcodeNode(api.URL, wait), httpstep.Values{"video": "v1"})
	require.NoError(t, err)
	return id, api.next(t)
}

// TestCallbackFlow: the request goes out with a one-use URL, the delivery
// waits without a worker, and the API's call becomes its Result, once.
func TestCallbackFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		hk := newHooks(t)
		q := db.open(t, callbackConfig(hk))
		hk.serve(q)
		ctx := context.Background()
		id, job := transcodeOne(t, q, time.Hour)
		require.True(t, strings.HasPrefix(job.callback, hk.base()+"/"), job.callback)
		d := waitState(t, q, id, StateWaiting, 10*time.Second)
		assert.WithinDuration(t, time.Now().Add(time.Hour), d.Next, time.Minute, "Next is the deadline")
		assert.Nil(t, d.Result)
		require.Len(t, d.Attempts, 1)
		token := job.callback[strings.LastIndexByte(job.callback, '/')+1:]
		assert.NotContains(t, d.Attempts[0].Request.Body, token, "the URL is a credential: redacted in the history")

		p, ok, err := parkedBy(ctx, q.sql, "job_id", id)
		require.NoError(t, err)
		require.True(t, ok)
		timeout, err := q.backend.get(ctx, p.timeoutJob)
		require.NoError(t, err)
		assert.Equal(t, rivertype.JobStateScheduled, timeout.State, "what River holds while the delivery waits: a scheduled timeout")
		assert.WithinDuration(t, d.Next, timeout.ScheduledAt, time.Second)

		assert.Equal(t, http.StatusOK, call(t, job.callback, `{"status":"done","output":{"url":"https://cdn.example/v1.mp4"}}`, nil))
		_, err = q.backend.get(ctx, p.timeoutJob)
		assert.ErrorIs(t, err, rivertype.ErrNotFound, "the call deletes its timeout")
		d, err = q.Delivery(ctx, id)
		require.NoError(t, err)
		require.Equal(t, StateDelivered, d.State)
		require.NotNil(t, d.Result)
		url, ok := d.Result.Lookup("output.url")
		require.True(t, ok)
		assert.Equal(t, "https://cdn.example/v1.mp4", url.String())
		assert.Equal(t, "application/json", d.Result.Header.Get("Content-Type"))
		require.Equal(t, []int{1, 2}, numbers(d.Attempts))
		cb := d.Attempts[1]
		assert.True(t, cb.Callback)
		assert.Equal(t, hk.base()+"/[REDACTED]", cb.Request.URL)
		assert.Contains(t, cb.Request.Body, `"status":"done"`)
		assert.Equal(t, d.Attempts, d.Result.Attempts)

		assert.Equal(t, http.StatusConflict, call(t, job.callback, `{"status":"again"}`, nil), "a used URL")
		d, err = q.Delivery(ctx, id)
		require.NoError(t, err)
		assert.Contains(t, d.Result.Get("status").String(), "done", "the duplicate is not applied")
		require.Len(t, d.Attempts, 2)
		assert.Contains(t, strings.Join(d.Attempts[1].Notes, " "), "1 more time(s)", "the duplicate is recorded")
		hist, err := json.Marshal(d.Attempts)
		require.NoError(t, err)
		assert.NotContains(t, string(hist), token)
		assert.NotContains(t, string(db.dump(t)), token, "only the token's hash is stored")
	})
}

// TestCallbackXML: a call in XML and GBK, as some payment providers send
// their notifications, is read as an answer is: converted to UTF-8, and
// Lookup reads its tree.
func TestCallbackXML(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		hk := newHooks(t)
		q := db.open(t, callbackConfig(hk))
		hk.serve(q)
		ctx := context.Background()
		id, job := transcodeOne(t, q, time.Hour)
		waitState(t, q, id, StateWaiting, 10*time.Second)
		body, err := simplifiedchinese.GBK.NewEncoder().String(`<xml><return_code><![CDATA[SUCCESS]]></return_code><status>完成</status><total_fee>1</total_fee></xml>`)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, call(t, job.callback, body, http.Header{"Content-Type": {"text/xml; charset=GBK"}}))
		d, err := q.Delivery(ctx, id)
		require.NoError(t, err)
		require.Equal(t, StateDelivered, d.State)
		assert.Equal(t, "完成", d.Result.Get("xml.status").String())
		assert.Equal(t, "SUCCESS", d.Result.Get("xml.return_code").String())
		assert.Contains(t, string(d.Result.Body), "完成", "the Body is UTF-8")
		assert.Equal(t, "text/xml; charset=GBK", d.Result.Header.Get("Content-Type"))
	})
}

// TestCallbackRefusals: a token the queue never minted, a malformed one,
// a GET and a body over the cap are refused and change nothing.
func TestCallbackRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		cfg := callbackConfig(hk)
		cfg.Client.MaxResponseBytes = 64
		q := db.open(t, cfg)
		hk.serve(q)
		startT(t, q)
		id, err := q.Enqueue(context.Background(), transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		job := api.next(t)
		waitState(t, q, id, StateWaiting, 10*time.Second)
		_, other := newToken(hk.base())
		for name, tc := range map[string]struct {
			url, body string
			status    int
		}{
			"unknown token":   {other, `{}`, http.StatusNotFound},
			"malformed token": {hk.base() + "/abc", `{}`, http.StatusNotFound},
			"one byte off":    {job.callback[:len(job.callback)-1] + flip(job.callback[len(job.callback)-1]), `{}`, http.StatusNotFound},
			"too large":       {job.callback, `{"pad":"` + strings.Repeat("x", 64) + `"}`, http.StatusRequestEntityTooLarge},
		} {
			assert.Equal(t, tc.status, call(t, tc.url, tc.body, nil), name)
		}
		resp, err := callbackClient.Get(job.callback)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "a GET (a link preview) does not use the URL up")
		waitState(t, q, id, StateWaiting, time.Second)
		assert.Equal(t, http.StatusOK, call(t, job.callback, `{"ok":true}`, nil))
	})
}

// flip returns another base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestCallbackRestartWhileWaiting: a Queue closed while the delivery waits,
// and a new one on the same database, lose nothing, nor does River
// deleting the completed job; the call is served by the new Queue.
func TestCallbackRestartWhileWaiting(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		ctx := context.Background()
		first := db.open(t, callbackConfig(hk))
		startT(t, first)
		id, err := first.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		job := api.next(t)
		waitState(t, first, id, StateWaiting, 10*time.Second)
		require.NoError(t, first.Close(ctx))

		second := db.open(t, callbackConfig(hk))
		hk.serve(second)
		startT(t, second)
		waitState(t, second, id, StateWaiting, time.Second)
		require.NoError(t, second.backend.deleteJob(ctx, id), "as River's retention does to the completed job")
		waitState(t, second, id, StateWaiting, time.Second)
		assert.Equal(t, http.StatusOK, call(t, job.callback, `{"status":"done"}`, nil))
		d := waitState(t, second, id, StateDelivered, time.Second)
		assert.Equal(t, "done", d.Result.Get("status").String())
		assert.Zero(t, len(api.jobs), "nothing was sent again")
	})
}

// TestCallbackServedElsewhere: the call reaches a Queue that never worked
// the delivery and is not started (another process on PostgreSQL), and the
// Queue that sent it sees the result.
func TestCallbackServedElsewhere(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		sender := db.open(t, callbackConfig(hk))
		startT(t, sender)
		hk.serve(db.open(t, callbackConfig(hk)))
		id, err := sender.Enqueue(context.Background(), transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		job := api.next(t)
		waitState(t, sender, id, StateWaiting, 10*time.Second)
		assert.Equal(t, http.StatusOK, call(t, job.callback, `{"status":"done"}`, nil))
		d := waitState(t, sender, id, StateDelivered, time.Second)
		assert.Equal(t, "done", d.Result.Get("status").String())
	})
}

// TestCallbackTimeout: no call within callback.timeout fails the delivery
// with kind timeout, even when no Queue runs at the deadline; a late call
// is answered 404 and changes nothing.
func TestCallbackTimeout(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		ctx := context.Background()
		q := db.open(t, callbackConfig(hk))
		hk.serve(q)
		startT(t, q)
		id, err := q.Enqueue(ctx, transcodeNode(api.URL, 300*time.Millisecond), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		job := api.next(t)
		d := waitState(t, q, id, StateWaiting, 10*time.Second)
		require.NoError(t, q.Stop(ctx))
		time.Sleep(time.Until(d.Next) + 50*time.Millisecond)
		assert.Equal(t, http.StatusNotFound, call(t, job.callback, `{}`, nil), "past the deadline, before the timeout job ran")
		startT(t, q)
		d = waitState(t, q, id, StateFailed, 10*time.Second)
		require.NotNil(t, d.Failure)
		assert.Equal(t, httpstep.KindTimeout, d.Failure.Kind)
		assert.Contains(t, d.Failure.Message, "did not call back within callback.timeout")
		require.Len(t, d.Attempts, 2)
		assert.True(t, d.Attempts[1].Callback)
		assert.Equal(t, d.Failure, d.Result.Failure)
		assert.Equal(t, http.StatusNotFound, call(t, job.callback, `{}`, nil), "after the timeout")
		d, err = q.Delivery(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, StateFailed, d.State)
	})
}

// cbSecret is the secret the test API shares with the host.
const cbSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestCallbackSigned: with callback.secret, only a call signed with the
// shared secret is applied.
func TestCallbackSigned(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		cfg := callbackConfig(hk)
		cfg.Secrets = func(_ context.Context, ref string) (httpstep.Secret, error) {
			if ref != "org.cbSecret" {
				return "", fmt.Errorf("no secret %q", ref)
			}
			return cbSecret, nil
		}
		q := db.open(t, cfg)
		hk.serve(q)
		startT(t, q)
		node := transcodeNode(api.URL, time.Hour)
		node.Callback.Secret = "{{org.cbSecret}}"
		values := httpstep.Values{"video": "v1", "org": map[string]any{"cbSecret": httpstep.Secret(cbSecret)}}
		id, err := q.Enqueue(context.Background(), node, values)
		require.NoError(t, err)
		job := api.next(t)
		waitState(t, q, id, StateWaiting, 10*time.Second)
		body := `{"status":"done"}`
		signed := func(secret, body string) http.Header {
			h := http.Header{}
			require.NoError(t, webhook.SetHeaders(h, secret, "msg_1", time.Now(), []byte(body)))
			return h
		}
		assert.Equal(t, http.StatusUnauthorized, call(t, job.callback, body, nil), "unsigned")
		assert.Equal(t, http.StatusUnauthorized, call(t, job.callback, body, signed("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body)), "another secret")
		assert.Equal(t, http.StatusUnauthorized, call(t, job.callback, `{"status":"forged"}`, signed(cbSecret, body)), "another body")
		waitState(t, q, id, StateWaiting, time.Second)
		assert.Equal(t, http.StatusOK, call(t, job.callback, body, signed(cbSecret, body)))
		d := waitState(t, q, id, StateDelivered, time.Second)
		assert.Empty(t, d.Attempts[1].Request.Header[webhook.SignatureHeader], "the signature stays out of the history")
		assert.Equal(t, []string{"msg_1"}, d.Attempts[1].Request.Header[webhook.IDHeader])
	})
}

// TestCallbackEnqueueRefusals: a callback node needs Config.CallbackURL,
// and its callback.secret must be a Secret value; Open checks the URL.
func TestCallbackEnqueueRefusals(t *testing.T) {
	ctx := context.Background()
	q := openSQLiteT(t, "", fastConfig())
	node := transcodeNode("http://127.0.0.1:9", time.Hour)
	_, err := q.Enqueue(ctx, node, httpstep.Values{"video": "v"})
	var ue *CallbackURLError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "Config.CallbackURL is empty")

	cfg := fastConfig()
	cfg.CallbackURL = "http://127.0.0.1:9/cb"
	q = openSQLiteT(t, "", cfg)
	node.Callback.Secret = "{{org.cbSecret}}"
	_, err = q.Enqueue(ctx, node, httpstep.Values{"video": "v", "org": map[string]any{"cbSecret": "plain"}})
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "org.cbSecret", ve.Ref)

	for _, bad := range []string{"/cb", "ftp://h/cb", "http://h/cb?x=1", "http://u:p@h/cb", "http://h/cb#f"} {
		cfg.CallbackURL = bad
		path := t.TempDir() + "/q.db"
		_, err := OpenSQLite(ctx, path, cfg)
		require.ErrorAs(t, err, &ue, bad)
		assert.NoFileExists(t, path, "refused before the database is touched")
	}
}

// TestCallbackConcurrent: 100 deliveries (20 under -race) wait at once;
// their calls arrive in random order from 16 goroutines, each twice; each
// is applied once, to its own delivery.
func TestCallbackConcurrent(t *testing.T) {
	const n = callbackLoad
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		cfg := callbackConfig(hk)
		cfg.Workers = 20
		q := db.open(t, cfg)
		hk.serve(q)
		startT(t, q)
		ctx := context.Background()
		ids := map[string]int64{}
		for i := range n {
			v := fmt.Sprintf("v%d", i)
			id, err := q.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": v})
			require.NoError(t, err)
			ids[v] = id
		}
		var calls []transcodeJob
		for range n {
			j := api.next(t)
			calls = append(calls, j, j)
		}
		for _, id := range ids {
			waitState(t, q, id, StateWaiting, 20*time.Second)
		}
		rand.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
		statuses := postAll(t, calls, 16)
		for v, id := range ids {
			assert.Equal(t, []int{http.StatusOK, http.StatusConflict}, statuses[v], v)
			d, err := q.Delivery(ctx, id)
			require.NoError(t, err)
			require.Equal(t, StateDelivered, d.State, v)
			assert.Equal(t, v, d.Result.Get("video").String(), "the call reached its own delivery")
			assert.Contains(t, strings.Join(d.Attempts[len(d.Attempts)-1].Notes, " "), "1 more time(s)")
		}
	})
}

// postAll makes the calls from workers goroutines and returns, per video,
// the statuses answered, sorted.
func postAll(t *testing.T, calls []transcodeJob, workers int) map[string][]int {
	var (
		mu       sync.Mutex
		statuses = map[string][]int{}
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(calls); i = int(next.Add(1)) - 1 {
				c := calls[i]
				s := call(t, c.callback, `{"video":"`+c.video+`"}`, nil)
				mu.Lock()
				statuses[c.video] = append(statuses[c.video], s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, s := range statuses {
		if len(s) == 2 && s[0] > s[1] {
			s[0], s[1] = s[1], s[0]
		}
	}
	return statuses
}

// TestCallbackSweep: finished callbacks go after their retention; waiting
// ones stay whatever their age.
func TestCallbackSweep(t *testing.T) {
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		q := db.open(t, callbackConfig(hk))
		hk.serve(q)
		startT(t, q)
		ctx := context.Background()
		done, err := q.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v1"})
		require.NoError(t, err)
		job := api.next(t)
		waiting, err := q.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": "v2"})
		require.NoError(t, err)
		api.next(t)
		waitState(t, q, done, StateWaiting, 10*time.Second)
		waitState(t, q, waiting, StateWaiting, 10*time.Second)
		require.Equal(t, http.StatusOK, call(t, job.callback, `{}`, nil))
		n, err := q.sweep(ctx, time.Now())
		require.NoError(t, err)
		assert.Zero(t, n, "within retention")
		n, err = q.sweep(ctx, time.Now().Add(doneRetention+time.Minute))
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		waitState(t, q, waiting, StateWaiting, time.Second)
	})
}

// TestCallbackWaitingCost: what a waiting delivery costs: one row of
// httpstep_callback and one scheduled River job, and no goroutine: once
// they wait, no more goroutines run httpstep code than before they were
// sent (a River job kept running, or a timer of ours, would add some).
func TestCallbackWaitingCost(t *testing.T) {
	const n = callbackLoad
	eachStore(t, func(t *testing.T, db testDB) {
		api, hk := newTranscoder(t), newHooks(t)
		cfg := callbackConfig(hk)
		cfg.Workers = 1 // one connection to the API: its goroutines do not count
		q := db.open(t, cfg)
		hk.serve(q)
		startT(t, q)
		before := len(ourGoroutines()) // the Queue's own (PostgreSQL's rescuer)
		ctx := context.Background()
		for i := range n {
			id, err := q.Enqueue(ctx, transcodeNode(api.URL, time.Hour), httpstep.Values{"video": fmt.Sprintf("v%d", i)})
			require.NoError(t, err)
			waitState(t, q, id, StateWaiting, 10*time.Second)
		}
		var ours []string
		require.Eventually(t, func() bool { // the last job's executor may still be returning
			ours = ourGoroutines()
			return len(ours) <= before
		}, 2*time.Second, 10*time.Millisecond, "nothing runs for a waiting delivery")
		var rows, bytes int64
		require.NoError(t, q.sql.queryRow(ctx, `SELECT count(*), sum(length(token_hash) + 13*8 + length(state) + length(history) + length(secret_ref))
			FROM httpstep_callback WHERE state = $1`, parkWaiting).Scan(&rows, &bytes))
		require.Equal(t, int64(n), rows)
		var timeouts int64
		require.NoError(t, q.sql.queryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'scheduled'`, timeoutKind).Scan(&timeouts))
		assert.Equal(t, int64(n), timeouts, "one scheduled timeout job each")
		t.Logf("%d waiting deliveries: %d B of row data each; %d goroutines in all, %d running httpstep code (%d before)", n, bytes/rows, runtime.NumGoroutine(), len(ours), before)
		assert.Less(t, bytes/rows, int64(2048))
	})
}

// ourGoroutines returns the stacks of the goroutines running code of this
// module other than the tests'.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var ours []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/httpstep/httpstep") && !strings.Contains(g, "_test.go") {
			ours = append(ours, g)
		}
	}
	return ours
}
