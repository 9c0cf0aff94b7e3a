package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/httpstep/httpstep/webhook"
)

// callbackDelay is how long the API "transcodes" before it calls back.
const callbackDelay = 2 * time.Second

// transcoder is a loopback transcoding API: it accepts a job carrying a
// callback URL, answers 202 at once, and calls the URL back, signed with
// the secret it shares with the host, once the work is done and the
// program has released it (after run 1, so the call finds the delivery
// parked). A call that fails is tried again, as real APIs do.
type transcoder struct {
	release chan struct{}
	once    sync.Once
	quit    chan struct{} // closed when the API stops: pending calls are dropped
	client  *http.Client
	wg      sync.WaitGroup

	mu       sync.Mutex
	jobs     int
	statuses []int // of each callback attempt; 0 when it got no answer
}

func newTranscoder() *transcoder {
	return &transcoder{release: make(chan struct{}), quit: make(chan struct{}), client: &http.Client{Timeout: 5 * time.Second}}
}

func (t *transcoder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var job struct{ Video, Callback string }
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&job) != nil || job.Callback == "" {
		http.Error(w, `{"error":"POST {\"video\":...,\"callback\":...}"}`, http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	t.jobs++
	id := fmt.Sprintf("tj_%d", t.jobs)
	t.mu.Unlock()
	t.wg.Add(1)
	go t.callBack(id, job.Video, job.Callback, time.Now().Add(callbackDelay))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"jobId":%q,"status":"queued"}`, id)
}

// open releases the calls back.
func (t *transcoder) open() { t.once.Do(func() { close(t.release) }) }

// callBack posts the job's outcome to url once due and released, up to 20
// times 250 ms apart until it is answered 2xx or 4xx.
func (t *transcoder) callBack(id, video, url string, due time.Time) {
	defer t.wg.Done()
	select {
	case <-t.release:
	case <-t.quit:
		return
	}
	if !t.sleep(time.Until(due)) {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"jobId": id, "status": "succeeded",
		"output": map[string]any{"url": "https://cdn.example.invalid/" + video + ".mp4", "durationSeconds": 93},
	})
	for range 20 {
		status := t.post(url, "msg_"+id, body)
		t.mu.Lock()
		t.statuses = append(t.statuses, status)
		t.mu.Unlock()
		if status >= 200 && status < 500 || !t.sleep(250*time.Millisecond) {
			return
		}
	}
}

// sleep waits d and reports whether the API still runs.
func (t *transcoder) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-t.quit:
		return false
	}
}

// post makes one signed call and returns its status, 0 for no answer.
func (t *transcoder) post(url, msgID string, body []byte) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if err := webhook.SetHeaders(req.Header, string(secret), msgID, time.Now(), body); err != nil {
		return 0
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// settle waits (at most 10 s) for the calls back to end.
func (t *transcoder) settle() {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// summary says what the API did so far.
func (t *transcoder) summary() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fmt.Sprintf("%d job(s), %d callback attempt(s), answered %v", t.jobs, len(t.statuses), t.statuses)
}

// serveAPI starts a transcoder on 127.0.0.1 and returns its jobs URL.
func serveAPI() (*transcoder, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	t := newTranscoder()
	srv := &http.Server{Handler: t}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	stop := func() { close(t.quit); _ = srv.Close(); <-done; t.wg.Wait() }
	return t, "http://" + ln.Addr().String() + "/jobs", stop, nil
}
