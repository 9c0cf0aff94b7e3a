package httpstep

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"
)

// trace records the connection phases of one attempt. net/http may call its
// hooks from other goroutines, and keeps dialling after an attempt timed
// out or was canceled, so the hooks write under a lock, and once close has
// taken the record, hooks that fire late are ignored: a Result never
// changes after it was returned.
type trace struct {
	mu     sync.Mutex
	start  time.Time
	rec    TimingRecord
	marks  [3]time.Time // starts of DNS, connect and TLS
	closed bool
	hooked httptrace.ClientTrace // built in the same allocation as the trace
}

// The phases whose start a trace marks.
const (
	phaseDNS = iota
	phaseConnect
	phaseTLS
)

func newTrace(start time.Time) *trace {
	return &trace{start: start}
}

// hooks returns the httptrace hooks that feed t.
func (t *trace) hooks() *httptrace.ClientTrace {
	t.hooked = httptrace.ClientTrace{
		GotConn:              t.gotConn,
		DNSStart:             func(httptrace.DNSStartInfo) { t.mark(phaseDNS) },
		DNSDone:              func(httptrace.DNSDoneInfo) { t.done(phaseDNS) },
		ConnectStart:         func(string, string) { t.mark(phaseConnect) },
		ConnectDone:          func(string, string, error) { t.done(phaseConnect) },
		TLSHandshakeStart:    func() { t.mark(phaseTLS) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.done(phaseTLS) },
		GotFirstResponseByte: t.firstByte,
	}
	return &t.hooked
}

func (t *trace) mark(phase int) {
	t.mu.Lock()
	t.marks[phase] = time.Now()
	t.mu.Unlock()
}

func (t *trace) done(phase int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.marks[phase].IsZero() {
		return
	}
	d := Duration(time.Since(t.marks[phase]))
	switch phase {
	case phaseDNS:
		t.rec.DNS = d
	case phaseConnect:
		t.rec.Connect = d
	case phaseTLS:
		t.rec.TLS = d
	}
}

func (t *trace) gotConn(i httptrace.GotConnInfo) {
	t.mu.Lock()
	if !t.closed {
		t.rec.Reused = i.Reused
	}
	t.mu.Unlock()
}

func (t *trace) firstByte() {
	t.mu.Lock()
	if !t.closed {
		t.rec.FirstByte = Duration(time.Since(t.start))
	}
	t.mu.Unlock()
}

// close returns the record and ignores every hook from now on.
func (t *trace) close() *TimingRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return &t.rec // hooks no longer write to it
}
