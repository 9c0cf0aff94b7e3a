package httpstep

import "context"

// TEMPORARY: stands in for the lead's compiled steps (issue 9) until they
// land on main; deleted at that merge.

// Step is a validated node.
type Step struct{ node NodeConfig }

// Compile validates n.
func (n *NodeConfig) Compile() (*Step, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &Step{node: *n}, nil
}

// Run runs s.
func (c *Client) Run(ctx context.Context, s *Step, params Params) (*Result, error) {
	return c.Execute(ctx, &s.node, params)
}
