package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/httpstep/httpstep/internal/bytesize"
)

// execOptions are the flags of run and test.
type execOptions struct {
	params       []param // -p and -s, in command-line order
	paramsFile   string
	allowPrivate bool
	allowNets    []netip.Prefix // -allow-network, repeatable
	maxResponse  int64          // -max-response; 0 = the library's default
	proxy        *url.URL
	timeout      time.Duration
	refs         bool        // test only
	fresh        bool        // test only: forget the remembered test values
	saveSchema   bool        // test only: write the inferred schema into the node file
	nodePath     string      // the node file, "-" for standard input
	output       string      // -o: where a download goes
	each         eachOptions // run only
	dryRun       bool        // run only: print the request, send nothing
}

// newExecFlags defines the flags of run and test (-refs for test only).
func newExecFlags(cmd string) (*flag.FlagSet, *execOptions) {
	o := &execOptions{}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(paramFlag{&o.params, false}, "p", "a parameter: ref=value, ref:=JSON or ref=@PATH")
	fs.Var(paramFlag{&o.params, true}, "s", "a secret parameter: ref=value or ref=@PATH")
	fs.StringVar(&o.paramsFile, "params", "", "a JSON object of parameters")
	fs.BoolVar(&o.allowPrivate, "allow-private", false, "let the node reach loopback and private addresses")
	fs.Func("allow-network", "let the node reach this network (CIDR or address); repeatable", o.addNetwork)
	fs.Func("proxy", "the organisation's proxy URL", o.setProxy)
	fs.Func("max-response", "the largest response body to read, e.g. 64MiB", func(s string) (err error) {
		o.maxResponse, err = bytesize.Parse(s)
		return err
	})
	fs.DurationVar(&o.timeout, "timeout", 0, "per-attempt timeout overriding the node's")
	addDownloadFlags(fs, o)
	if cmd == "test" {
		fs.BoolVar(&o.refs, "refs", false, "print the refs the node uses and exit")
		fs.BoolVar(&o.fresh, "fresh", false, "forget the test values remembered for the node")
		fs.BoolVar(&o.saveSchema, "save-schema", false, "write the inferred schema into the node file's response")
	}
	if cmd == "run" {
		o.each.define(fs)
		fs.BoolVar(&o.dryRun, "dry-run", false, "print the request the node would send and its cURL command; send nothing")
	}
	return fs, o
}

// addNetwork adds an -allow-network prefix; a bare address is a prefix of
// its own length (10.1.2.3 is 10.1.2.3/32).
func (o *execOptions) addNetwork(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return fmt.Errorf("%q: write a network such as 10.0.0.0/8 or an address such as 10.1.2.3", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	o.allowNets = append(o.allowNets, p.Masked())
	return nil
}

// setProxy checks and sets the -proxy URL.
func (o *execOptions) setProxy(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
	default:
		return fmt.Errorf("%q: write a URL such as http://proxy.internal:3128 or socks5://127.0.0.1:1080", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	o.proxy = u
	return nil
}

// paramFlag is the flag.Value of -p (and of -s, when secret): every use
// appends to one list, so later arguments override earlier ones.
type paramFlag struct {
	list   *[]param
	secret bool
}

func (f paramFlag) String() string { return "" }

func (f paramFlag) Set(s string) error {
	p, err := parseParam(s, f.secret)
	if err != nil {
		return err
	}
	*f.list = append(*f.list, p)
	return nil
}

// parseArgs parses flags that may come before and after the positional
// arguments, which it returns. After "--" everything is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
