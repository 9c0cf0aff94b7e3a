package httpstep

// Temporary stand-ins for pieces being built on other branches; removed when
// they land.

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/tidwall/gjson"
)

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
