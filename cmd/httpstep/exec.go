package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/httpstep/httpstep"
)

// runNode is the run and test subcommands: execute a node file and print
// the result.
func (c *cli) runNode(ctx context.Context, cmd string, args []string) int {
	fs, o := newExecFlags(cmd)
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(c.stdout, usage)
		return exitOK
	case err != nil:
		return c.usageError("%s: %v", cmd, err)
	case len(pos) != 1:
		return c.usageError("%s takes one node file (or - for standard input), not %d", cmd, len(pos))
	case o.timeout < 0:
		return c.usageError("%s: -timeout cannot be negative", cmd)
	case o.paramsFile == "-" && pos[0] == "-":
		return c.usageError("%s: the node and -params cannot both come from standard input", cmd)
	case o.saveSchema && pos[0] == "-":
		return c.usageError("%s: -save-schema writes into the node file: give a file, not standard input", cmd)
	case o.dryRun && o.each.rows != "":
		return c.usageError("%s: -dry-run shows one request: leave out -each, or give one row's values with -p or -params", cmd)
	}
	if err := o.each.check(pos[0], o.paramsFile); err != nil {
		return c.usageError("%s: %v", cmd, err)
	}
	o.nodePath = pos[0]
	node, err := c.loadNode(pos[0])
	if err != nil {
		return c.fail(exitUsage, err)
	}
	if o.timeout > 0 {
		node.Timeout = httpstep.Duration(o.timeout)
	}
	if o.refs {
		return c.printJSON(nonNil(node.Refs()))
	}
	if node.UseProxy && o.proxy == nil {
		return c.usageError("%s: the node uses the organisation's proxy (\"useProxy\": true): give it with -proxy URL", cmd)
	}
	params, err := c.loadParams(o)
	if err == nil && cmd == "test" {
		err = c.askTestValues(o.nodePath, node, params, o.fresh)
	}
	if err != nil {
		return c.fail(exitUsage, err)
	}
	if o.dryRun {
		return c.dryRun(ctx, node, params, o)
	}
	if o.each.rows != "" {
		return c.runEach(ctx, node, params, o)
	}
	return c.execute(ctx, cmd, node, params, o)
}

// execute runs node, prints its output object and returns the exit status.
func (c *cli) execute(ctx context.Context, cmd string, node *httpstep.NodeConfig, params httpstep.Values, o *execOptions) int {
	client := o.client()
	defer client.CloseIdleConnections()
	node.Download = node.Download || o.output != ""
	res, err := client.Execute(ctx, node, params)
	var cfg *httpstep.ConfigError
	if errors.As(err, &cfg) || res == nil {
		return c.fail(exitUsage, invalidNode("the node", err))
	}
	c.noteMissing(node, res)
	adviseBlocked(res.Failure, o)
	s := scrubber{res}
	out := newOutput(res, s)
	c.noteCut(res, "")
	file, ferr := downloadFile(res, o)
	if ferr != nil {
		return c.fail(exitFailed, ferr)
	}
	out.File = file
	var code int
	if cmd == "test" {
		schema := c.inferSchema(res)
		code = c.printJSON(testOutput{out, schema})
		if o.saveSchema {
			if err := c.saveSchema(o.nodePath, schema); err != nil {
				return c.fail(exitFailed, err)
			}
		}
	} else {
		code = c.printJSON(out)
	}
	if err != nil {
		fmt.Fprintln(c.stderr, s.text(err.Error()))
		return exitFailed
	}
	return code
}

// client is the Client the flags describe.
func (o *execOptions) client() *httpstep.Client {
	return &httpstep.Client{AllowPrivate: o.allowPrivate, AllowNetworks: o.allowNets, Proxy: o.proxy, MaxResponseBytes: o.maxResponse}
}

// inferSchema infers the output fields of a successful JSON response, or
// returns nil and says why on stderr.
func (c *cli) inferSchema(res *httpstep.Result) *httpstep.Schema {
	if !res.OK() {
		return nil
	}
	schema, err := httpstep.InferSchema(res.Body)
	if err != nil {
		fmt.Fprintf(c.stderr, "httpstep: note: no schema: %s\n", ownWords(err))
		return nil
	}
	return schema
}

// noteMissing names on stderr the refs that had no value and were sent
// empty, which is what "Test API" does but rarely what the user meant, and
// says how to give them: -s for a ref that is a secret, -p for the others.
func (c *cli) noteMissing(node *httpstep.NodeConfig, res *httpstep.Result) {
	missing := addMissing(nil, res)
	if len(missing) == 0 {
		return
	}
	fmt.Fprintf(c.stderr, "httpstep: note: no value for %s, sent empty: %s\n", strings.Join(missing, ", "), howToGive(node, missing))
}

// howToGive says which flag gives each of refs a value.
func howToGive(node *httpstep.NodeConfig, refs []string) string {
	var secrets []string
	for _, ref := range refs {
		if refKindOf(node, ref) == refSecret {
			secrets = append(secrets, ref)
		}
	}
	switch {
	case len(secrets) == 0:
		return "give values with -p ref=value"
	case len(secrets) == len(refs):
		return "give secrets with -s ref=value"
	case len(secrets) == 1:
		return "give values with -p ref=value, and the secret " + secrets[0] + " with -s ref=value"
	}
	return "give values with -p ref=value, and the secrets " + strings.Join(secrets, ", ") + " with -s ref=value"
}

// loadNode reads a node file ("-" for stdin) with httpstep.ParseNode: an
// unknown key, a key in the wrong case or a value of the wrong type is a
// problem, listed with every other one, never dropped in silence.
func (c *cli) loadNode(path string) (*httpstep.NodeConfig, error) {
	data, name, err := c.readInput(path)
	if err != nil {
		return nil, err
	}
	node, err := httpstep.ParseNode(data)
	if err != nil {
		return nil, invalidNode(name, err)
	}
	return node, nil
}

// invalidNode lists a *ConfigError's problems one per line, under a line
// naming the node file.
func invalidNode(name string, err error) error {
	var cfg *httpstep.ConfigError
	if !errors.As(err, &cfg) {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "httpstep: %s is not a valid node; fix these settings:", name)
	for _, p := range cfg.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Message)
	}
	return errors.New(b.String())
}

// loadParams builds the parameters: -params first, then -p and -s in
// order. Secrets need no list of their own: the library knows them by type.
func (c *cli) loadParams(o *execOptions) (httpstep.Values, error) {
	vals := httpstep.Values{}
	if o.paramsFile != "" {
		data, name, err := c.readInput(o.paramsFile)
		if err != nil {
			return nil, err
		}
		if vals, err = decodeParams(name, data); err != nil {
			return nil, err
		}
	}
	for _, p := range o.params {
		v, err := p.resolve()
		if err != nil {
			return nil, err
		}
		setParam(vals, p.ref, v)
	}
	return vals, nil
}

// nonNil makes an empty list print as [] rather than null.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
