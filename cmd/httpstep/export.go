package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/httpstep/httpstep"
)

// export is httpstep curl -export: print a node file as a cURL command.
// Without -p, -s or -params the command keeps the node's {{refs}}; with
// them it carries the values, secrets shown as [REDACTED].
func (c *cli) export(args []string) int {
	o := &execOptions{}
	fs := flag.NewFlagSet("curl -export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(paramFlag{&o.params, false}, "p", "a parameter: ref=value, ref:=JSON or ref=@PATH")
	fs.Var(paramFlag{&o.params, true}, "s", "a secret parameter: ref=value or ref=@PATH")
	fs.StringVar(&o.paramsFile, "params", "", "a JSON object of parameters")
	pos, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return c.usageError("curl -export: %v", err)
	case len(pos) != 1:
		return c.usageError("curl -export takes one node file (or - for standard input), not %d", len(pos))
	}
	node, err := c.loadNode(pos[0])
	if err != nil {
		return c.fail(exitUsage, err)
	}
	var params httpstep.Params
	if len(o.params) > 0 || o.paramsFile != "" {
		if params, err = c.loadParams(o); err != nil {
			return c.fail(exitUsage, err)
		}
	}
	cmd, err := node.Curl(params)
	if err != nil {
		return c.fail(exitUsage, err)
	}
	fmt.Fprintln(c.stdout, cmd)
	return exitOK
}
