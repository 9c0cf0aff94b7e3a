package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/httpstep/httpstep"
)

// eachOptions are the flags of run that run a node once per row.
type eachOptions struct {
	rows        string // -each: a JSON Lines file of parameters, - for standard input
	concurrency int    // -c: rows in flight at once
}

// define adds -each and -c to fs.
func (o *eachOptions) define(fs *flag.FlagSet) {
	fs.StringVar(&o.rows, "each", "", "run the node once per line of this JSON Lines file of parameters")
	fs.IntVar(&o.concurrency, "c", 1, "with -each: rows in flight at once")
}

// check reports misuse of -each and -c given the node's path.
func (o *eachOptions) check(node, paramsFile string) error {
	switch {
	case o.rows == "" && o.concurrency > 1:
		return errors.New("-c needs -each ROWS.jsonl")
	case o.rows != "" && o.concurrency < 1:
		return errors.New("-c must be at least 1")
	case o.rows == "-" && (node == "-" || paramsFile == "-"):
		return errors.New("-each and the node or -params cannot both come from standard input")
	}
	return nil
}

// runEach runs node once per row of o.each.rows, each row's parameters over
// params, and prints one compact output object per line, in row order, each
// naming its row (from 0) and line. It stops at the first failure under
// "terminate" (exit status 1), naming that row on stderr.
func (c *cli) runEach(ctx context.Context, node *httpstep.NodeConfig, params httpstep.Values, o *execOptions) int {
	rows, err := c.loadRows(o.each.rows)
	if err != nil {
		return c.fail(exitUsage, err)
	}
	client := o.client()
	defer client.CloseIdleConnections()
	step, err := node.Compile()
	if err != nil {
		return c.fail(exitUsage, invalidNode("the node", err))
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	var missing []string
	var writeErr error
	failed := -1
	err = client.Each(ctx, step, rowParams(rows.values, params), o.each.concurrency, func(i int, res *httpstep.Result, err error) bool {
		missing = addMissing(missing, res)
		adviseBlocked(res.Failure, o)
		if err != nil {
			failed = i
		}
		c.noteCut(res, rows.where(i)+": ")
		writeErr = enc.Encode(eachOutput{Row: i, Line: rows.lines[i], output: newOutput(res, scrubber{res})})
		return writeErr == nil
	})
	if len(missing) > 0 {
		fmt.Fprintf(c.stderr, "httpstep: note: no value for %s in some rows, sent empty: set them in the rows, or %s\n",
			strings.Join(missing, ", "), howToGive(node, missing))
	}
	var f *httpstep.Failure
	switch {
	case writeErr != nil:
		return c.fail(exitFailed, fmt.Errorf("httpstep: writing the output: %w", writeErr))
	case failed >= 0 && errors.As(err, &f):
		return c.fail(exitFailed, fmt.Errorf("httpstep: %s: %s: %s", rows.where(failed), f.Kind, f.Message))
	case err != nil:
		return c.fail(exitFailed, err)
	}
	return exitOK
}

// eachOutput is one line of run -each: the row's index and line, then the
// output of run.
type eachOutput struct {
	Row  int `json:"row"`  // the row's index, from 0
	Line int `json:"line"` // its line in the rows file, from 1
	output
}

// rowSet is the rows of a JSON Lines file, with the line of each.
type rowSet struct {
	name   string // the file, as messages name it
	values []httpstep.Values
	lines  []int
}

// where names row i as name:line (row i).
func (r *rowSet) where(i int) string {
	return fmt.Sprintf("%s:%d (row %d)", r.name, r.lines[i], i)
}

// loadRows reads a JSON Lines file: one JSON object of parameters per
// line, blank lines skipped. Every line is checked before anything is sent;
// an error names the file and line.
func (c *cli) loadRows(path string) (*rowSet, error) {
	data, name, err := c.readInput(path)
	if err != nil {
		return nil, err
	}
	rows := &rowSet{name: name}
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		j, err := decodeJSONValue(line)
		if err != nil {
			return nil, jsonLineError(name, n+1, line, err)
		}
		v, err := paramsObject(fmt.Sprintf("%s:%d", name, n+1), j)
		if err != nil {
			return nil, err
		}
		rows.values, rows.lines = append(rows.values, v), append(rows.lines, n+1)
	}
	if len(rows.values) == 0 {
		return nil, fmt.Errorf("httpstep: %s has no rows: write one JSON object of parameters per line", name)
	}
	return rows, nil
}

// rowParams yields each row's parameters, falling back to base (-params,
// -p and -s) for refs the row does not set.
func rowParams(rows []httpstep.Values, base httpstep.Values) iter.Seq[httpstep.Params] {
	return func(yield func(httpstep.Params) bool) {
		for _, r := range rows {
			if !yield(layered{r, base}) {
				return
			}
		}
	}
}

// layered looks a ref up in the row, then in the base parameters.
type layered struct{ row, base httpstep.Values }

func (l layered) Lookup(ref string) (any, bool) {
	if v, ok := l.row.Lookup(ref); ok {
		return v, true
	}
	return l.base.Lookup(ref)
}

// addMissing adds the refs res sent empty to list, each once.
func addMissing(list []string, res *httpstep.Result) []string {
	for _, a := range res.Attempts {
		for _, ref := range a.Missing {
			if !slices.Contains(list, ref) {
				list = append(list, ref)
			}
		}
	}
	return list
}
