package httpstep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
)

// Loopback servers for the long-running scenarios: 202 polling and
// downloads. "Another host" is a server on another loopback address
// (127.0.0.2) and port: a different origin, so credentials must not follow.

// jobServer answers POST /jobs with 202 and a relative Location, then
// answers polls of /jobs/1 with 202 (Retry-After: 1) pending times, then
// 200 with the result.
func jobServer(t testing.TB, pending int) *recorder {
	var polls atomic.Int32
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/jobs":
			w.Header().Set("Location", "/jobs/1")
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodGet && r.URL.Path == "/jobs/1":
			if int(polls.Add(1)) <= pending {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusAccepted)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"report":{"rows":42}}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// statusServer answers POST /exports with 202 and {"statusUrl": ...} in the
// body (no Location), then answers GET /status/7 with 200
// {"status":"running"} running times, then with final (e.g. "succeeded").
func statusServer(t testing.TB, running int, final string) *recorder {
	var polls atomic.Int32
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/exports":
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, `{"statusUrl":%q}`, srv.URL+"/status/7")
		case r.URL.Path == "/status/7":
			if int(polls.Add(1)) <= running {
				io.WriteString(w, `{"status":"running"}`)
				return
			}
			fmt.Fprintf(w, `{"status":%q,"file":"export-7.csv","error":"disk quota exceeded"}`, final)
		default:
			http.NotFound(w, r)
		}
	})
	return srv
}

// foreignStatus starts a status server on 127.0.0.2 (another host) that
// answers 200 {"done":true}, and a server on 127.0.0.1 that answers POST
// /jobs with 202 and a Location on the other one.
func foreignStatus(t testing.TB) (origin, other *recorder) {
	other = newRecorderOn(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"done":true}`)
	})
	origin = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", other.URL+"/status/1")
		w.WriteHeader(http.StatusAccepted)
	})
	return origin, other
}

// foreverAccepted answers every request with 202, a Location on itself and
// the given Retry-After ("" for none): a job that never ends.
func foreverAccepted(t testing.TB, retryAfter string) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/jobs/slow")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"running"}`)
	})
}

// redirectingStatus answers POST /jobs with 202 Location /jobs/1, and the
// poll with 303 See Other to target (an internal address the guard must
// refuse).
func redirectingStatus(t testing.TB, target string) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/jobs/1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// patternSum is the SHA-256 of the first n bytes of patternReader's
// output (body_test.go).
func patternSum(t testing.TB, n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, &patternReader{left: n}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileServer serves size bytes of pattern with the given
// Content-Disposition ("" for none) and Content-Type, announcing the length
// unless chunked.
func fileServer(t testing.TB, size int64, disposition, contentType string, chunked bool) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if disposition != "" {
			w.Header().Set("Content-Disposition", disposition)
		}
		w.Header().Set("Content-Type", contentType)
		if !chunked {
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		}
		io.Copy(w, &patternReader{left: size})
	})
}
