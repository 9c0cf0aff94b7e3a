package httpsteptest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/httpstep/httpstep/internal/redaction"
)

// Mode says whether a [Cassette] records or replays.
type Mode int

const (
	// Replay answers every request from the cassette file and never dials:
	// the first exchange not yet replayed with the same method, URL and
	// body answers; a request that has none fails with an
	// [*UnrecordedError] and fails the test.
	Replay Mode = iota
	// Record sends every request for real and writes the exchanges to the
	// cassette file when the test ends, replacing it.
	Record
)

// String returns "replay" or "record".
func (m Mode) String() string {
	if m == Record {
		return "record"
	}
	return "replay"
}

// Cassette records the exchanges of a test to a file under testdata/, or
// replays them from it, as go-vcr does. Give its Wrap to the Client:
//
//	cas := httpsteptest.NewCassette(t, "testdata/orders.json", httpsteptest.Replay)
//	client := &httpstep.Client{WrapTransport: cas.Wrap}
//
// On disk every secret is redacted as the execution history redacts it:
// the run's Secret parameters and credentials in every form they take
// (raw, URL- and JSON-escaped, Basic), Authorization, Cookie, Set-Cookie,
// API-key and other credential headers whole, token-like query and form
// parameters, URL user info, and tokens an OAuth2 server handed out. A
// redacted value reads "[REDACTED]", and at replay it stands for any
// value, so the replayed run may use any secret. Response bodies in gzip
// or deflate are kept decoded; bodies that are not UTF-8 text (images,
// another coding such as br) are kept in base64, unredacted: keep secrets
// out of them.
//
// A request that carries a clock or a nonce (a signature, a timestamp in
// the URL or body) replays only if it is the same at every run: Client.Now
// fixes the clock, but a nonce never repeats. A request that failed below
// HTTP (a refused connection) is not recorded. A Cassette is safe for
// concurrent use; exchanges are kept in the order their answers arrived.
type Cassette struct {
	t    testing.TB
	path string
	mode Mode

	mu        sync.Mutex
	exchanges []*exchange
}

// NewCassette returns the cassette at path for the test t, in mode. In
// Replay the file is read now, and a missing or unreadable one fails the
// test, saying how to record it. In Record the file is written when the
// test ends.
func NewCassette(t testing.TB, path string, mode Mode) *Cassette {
	t.Helper()
	if redaction.Of == nil {
		t.Fatalf("httpsteptest: a Cassette redacts with package httpstep's rules: import github.com/httpstep/httpstep")
	}
	c := &Cassette{t: t, path: path, mode: mode}
	if mode == Replay {
		if err := c.load(); err != nil {
			t.Fatalf("httpsteptest: %v; record it with NewCassette(t, %q, httpsteptest.Record) against the real API", err, path)
		}
		return c
	}
	t.Cleanup(func() {
		if err := c.save(); err != nil {
			t.Errorf("httpsteptest: writing the cassette: %v", err)
		}
	})
	return c
}

// Wrap is a Client's WrapTransport: in Record it sends through next and
// keeps each exchange; in Replay it answers from the cassette and never
// calls next (which may be nil), so nothing is dialled and the SSRF guard,
// which checks at dial time, has nothing to check. For a plain
// http.Client, use Wrap(http.DefaultTransport) as its Transport.
func (c *Cassette) Wrap(next http.RoundTripper) http.RoundTripper {
	if c.mode == Record {
		return recorder{c, next}
	}
	return player{c}
}

// exchange is one request and its response, raw while recording and
// redacted once read from or written to disk.
type exchange struct {
	Request struct {
		Method string      `json:"method"`
		URL    string      `json:"url"`
		Header http.Header `json:"header,omitempty"`
		body
	} `json:"request"`
	Response struct {
		Status int         `json:"status"`
		Header http.Header `json:"header,omitempty"`
		body
	} `json:"response"`

	run      redaction.Run // the run that sent it, while recording
	u        *url.URL      // the URL it went to, while recording
	replayed bool
}

// body is a body on disk: UTF-8 text as it is, anything else in base64.
type body struct {
	Text   string `json:"body,omitempty"`
	Base64 string `json:"bodyBase64,omitempty"`
}

func newBody(b []byte) body {
	if utf8.Valid(b) {
		return body{Text: string(b)}
	}
	return body{Base64: base64.StdEncoding.EncodeToString(b)}
}

func (b body) bytes() ([]byte, error) {
	if b.Base64 != "" {
		return base64.StdEncoding.DecodeString(b.Base64)
	}
	return []byte(b.Text), nil
}

// file is a cassette on disk.
type file struct {
	Note      string      `json:"note"`
	Exchanges []*exchange `json:"exchanges"`
}

const note = "recorded by httpsteptest; secrets are [REDACTED], which matches any value at replay"

// load reads the cassette's file.
func (c *Cassette) load() error {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return err
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("%s is not a cassette: %v", c.path, err)
	}
	c.exchanges = f.Exchanges
	return nil
}

// save redacts the recorded exchanges and writes them to the file.
func (c *Cassette) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var runs []redaction.Run
	for _, e := range c.exchanges {
		runs = append(runs, e.run)
	}
	for _, e := range c.exchanges {
		e.redact(runs)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // a query's & stays readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(file{Note: note, Exchanges: c.exchanges}); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(c.path, buf.Bytes(), 0o644)
}

// isForm reports whether a request with header h has a urlencoded body.
func isForm(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// readBody reads r whole and closes it; nil reads as empty.
func readBody(r io.ReadCloser) ([]byte, error) {
	if r == nil || r == http.NoBody {
		return nil, nil
	}
	defer r.Close()
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
