package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// SOCKS5 is a SOCKS5 server on 127.0.0.1 (RFC 1928, with RFC 1929
// user/password authentication when credentials are set). It serves CONNECT
// to loopback targets given as IPv4, IPv6 or a domain name.
type SOCKS5 struct {
	cfg  config
	ln   net.Listener
	live *tracker
	log  recorder[SOCKSRequest]
}

// SOCKSRequest is one CONNECT the server was asked for.
type SOCKSRequest struct {
	AddrType string // "ipv4", "ipv6" or "domain" (the client sent a name: socks5h)
	Host     string // the address or name as sent
	Port     int
	User     string // the RFC 1929 user name; "" without authentication
	Reply    byte   // the reply code sent: 0 succeeded, 2 not loopback, 5 refused, 7 not CONNECT
}

// The RFC 1928 reply codes and authentication methods the server uses.
const (
	replyOK           = 0
	replyFailure      = 1
	replyNotAllowed   = 2
	replyRefused      = 5
	replyBadCommand   = 7
	replyBadAddrType  = 8
	methodNone        = 0x00
	methodUserPass    = 0x02
	methodUnavailable = 0xff
)

// NewSOCKS5 starts a SOCKS5 server that stops when t ends.
func NewSOCKS5(t testing.TB, opts ...Option) *SOCKS5 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeer: SOCKS5 listener: %v", err)
	}
	s := &SOCKS5{cfg: newConfig(opts), ln: ln, live: newTracker()}
	s.live.goServe(s.acceptLoop)
	t.Cleanup(func() {
		ln.Close()
		s.live.close()
	})
	return s
}

// Addr returns the server's host:port, for golang.org/x/net/proxy.SOCKS5.
func (s *SOCKS5) Addr() string { return s.ln.Addr().String() }

// URL returns socks5://127.0.0.1:port, without credentials.
func (s *SOCKS5) URL() *url.URL { return &url.URL{Scheme: "socks5", Host: s.Addr()} }

// Requests returns the CONNECT requests seen so far, in order.
func (s *SOCKS5) Requests() []SOCKSRequest { return s.log.all() }

func (s *SOCKS5) acceptLoop() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.live.goServe(func() { s.serve(c) }, c)
	}
}

// serve answers one client: method, authentication, request, then relay.
func (s *SOCKS5) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	user, err := s.negotiate(r, c)
	if err != nil {
		return
	}
	req, code := readRequest(r)
	req.User = user
	var up net.Conn
	if code == replyOK {
		up, code = s.connect(req)
	}
	req.Reply = code
	s.log.add(req)
	if up == nil {
		_, _ = c.Write(reply(code, netip.AddrPort{}))
		return
	}
	defer s.live.hold(up)()
	bound, _ := up.LocalAddr().(*net.TCPAddr)
	_, _ = c.Write(reply(replyOK, bound.AddrPort()))
	_ = c.SetDeadline(time.Time{})
	pipe(c, r, up)
}

// negotiate picks the method (user/password when the server has
// credentials, none otherwise) and authenticates the client with it.
func (s *SOCKS5) negotiate(r *bufio.Reader, w io.Writer) (user string, err error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || head[0] != 5 {
		return "", fmt.Errorf("testpeer: not a SOCKS5 greeting: %x, %v", head, err)
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return "", err
	}
	want := byte(methodNone)
	if s.cfg.auth {
		want = methodUserPass
	}
	if !bytes.Contains(methods, []byte{want}) {
		_, _ = w.Write([]byte{5, methodUnavailable})
		return "", errors.New("testpeer: client offers no acceptable method")
	}
	_, _ = w.Write([]byte{5, want})
	if !s.cfg.auth {
		return "", nil
	}
	ver, err := r.ReadByte() // RFC 1929: VER ULEN UNAME PLEN PASSWD
	user, pass := readString(r), readString(r)
	if err != nil || ver != 1 || user != s.cfg.user || pass != s.cfg.pass {
		_, _ = w.Write([]byte{1, 1})
		return "", errors.New("testpeer: wrong SOCKS5 credentials")
	}
	_, _ = w.Write([]byte{1, 0})
	return user, nil
}

// readString reads a length byte and that many bytes; "" on a short read.
func readString(r *bufio.Reader) string {
	n, err := r.ReadByte()
	if err != nil {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return ""
	}
	return string(b)
}

// readIP reads an n-byte address; "" on a short read.
func readIP(r *bufio.Reader, n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return ""
	}
	ip, _ := netip.AddrFromSlice(b)
	return ip.String()
}

// readRequest reads VER CMD RSV ATYP DST.ADDR DST.PORT and returns the reply
// code it calls for: replyOK for a well-formed CONNECT.
func readRequest(r *bufio.Reader) (SOCKSRequest, byte) {
	var req SOCKSRequest
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || head[0] != 5 {
		return req, replyFailure
	}
	switch head[3] {
	case 1:
		req.AddrType, req.Host = "ipv4", readIP(r, 4)
	case 4:
		req.AddrType, req.Host = "ipv6", readIP(r, 16)
	case 3:
		req.AddrType, req.Host = "domain", readString(r)
	default:
		return req, replyBadAddrType
	}
	var port [2]byte
	if _, err := io.ReadFull(r, port[:]); err != nil {
		return req, replyFailure
	}
	req.Port = int(binary.BigEndian.Uint16(port[:]))
	if req.Host == "" {
		return req, replyFailure
	}
	if head[1] != 1 {
		return req, replyBadCommand
	}
	return req, replyOK
}

// connect dials the target of req, if it is on loopback.
func (s *SOCKS5) connect(req SOCKSRequest) (net.Conn, byte) {
	ctx, cancel := context.WithTimeout(s.live.ctx, 5*time.Second)
	defer cancel()
	up, err := s.cfg.dial(ctx, net.JoinHostPort(req.Host, strconv.Itoa(req.Port)))
	switch {
	case errors.Is(err, errNotLoopback):
		return nil, replyNotAllowed
	case err != nil:
		return nil, replyRefused
	}
	return up, replyOK
}

// reply builds VER REP RSV ATYP BND.ADDR BND.PORT; an invalid bound address
// is sent as 0.0.0.0:0.
func reply(code byte, bound netip.AddrPort) []byte {
	ip := bound.Addr().Unmap()
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	atyp := byte(1)
	if ip.Is6() {
		atyp = 4
	}
	b := append([]byte{5, code, 0, atyp}, ip.AsSlice()...)
	return binary.BigEndian.AppendUint16(b, bound.Port())
}
