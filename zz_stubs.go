package httpstep

// Temporary stand-ins for pieces being built on other branches; removed when
// they land.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func readBody(resp *http.Response, limit int64) ([]byte, []string, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(b)) > limit {
		return nil, nil, &tooLargeError{limit}
	}
	return b, nil, err
}

func previewText(b []byte, max int) (string, bool) {
	t := len(b) > max
	if t {
		b = b[:max]
	}
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b), t
}

type BlockedError struct {
	Addr   netip.Addr
	Host   string
	Reason string
}

func (e *BlockedError) Error() string { return "blocked " + e.Addr.String() }

type guard struct {
	allowPrivate bool
	allow        []netip.Prefix
}

func (g guard) check(ip netip.Addr) error {
	if g.allowPrivate {
		return nil
	}
	if ip.IsLoopback() || ip.IsPrivate() {
		return &BlockedError{Addr: ip, Reason: "x"}
	}
	return nil
}

func (g guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	return g.check(ap.Addr())
}

type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func checkHost(ctx context.Context, lookup lookupFunc, g guard, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, g.check(ip)
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if err := g.check(a); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

var _ = net.Dial

func rowsAt(body []byte, path string, max int) ([]gjson.Result, error) {
	r := gjson.GetBytes(body, path)
	if path == "" {
		r = gjson.ParseBytes(body)
	}
	if !r.IsArray() {
		return nil, fmt.Errorf("not array")
	}
	return r.Array(), nil
}

type tooLargeError struct{ Limit int64 }

func (e *tooLargeError) Error() string { return "httpstep: too large" }
func (c *Client) paginate(ctx context.Context, node *NodeConfig, p *prepared) *Result {
	return c.send(ctx, node, p)
}
