package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/httpstep/httpstep"
)

// dryRunOutput is what run -dry-run prints: the request as the node would
// send it first (redacted as the history is, placeholders for what only
// sending gives) and the node as a cURL command.
type dryRunOutput struct {
	Request *httpstep.RequestRecord `json:"request"`
	Curl    string                  `json:"curl,omitempty"` // "" when the node cannot be written as one (a note on stderr says why)
}

// dryRun is run -dry-run: print the request Client.DryRun gives for node
// and the command NodeConfig.Curl gives, send nothing.
func (c *cli) dryRun(ctx context.Context, node *httpstep.NodeConfig, params httpstep.Values, o *execOptions) int {
	s, err := node.Compile()
	if err != nil {
		return c.fail(exitUsage, invalidNode("the node", err))
	}
	rec, err := o.client().DryRun(ctx, s, params)
	var cfg *httpstep.ConfigError
	switch {
	case errors.As(err, &cfg):
		return c.fail(exitUsage, invalidNode("the node", err))
	case err != nil:
		return c.fail(exitFailed, err)
	}
	out := dryRunOutput{Request: rec}
	if out.Curl, err = node.Curl(params); err != nil {
		fmt.Fprintf(c.stderr, "httpstep: note: no cURL command: %s\n", ownWords(err))
	}
	return c.printJSON(out)
}
