package main

import (
	"github.com/httpstep/httpstep"
)

// schema is the schema subcommand: print the schema inferred from a JSON
// response example ("-" for standard input).
func (c *cli) schema(args []string) int {
	if c.help(args) {
		return exitOK
	}
	if len(args) != 1 {
		return c.usageError("schema takes one response example file (or - for standard input), not %d", len(args))
	}
	data, name, err := c.readInput(args[0])
	if err != nil {
		return c.fail(exitUsage, err)
	}
	var v any
	if err := decodeOne(data, &v); err != nil {
		return c.fail(exitUsage, jsonError(name, data, err))
	}
	schema, err := httpstep.InferSchema(data)
	if err != nil {
		return c.fail(exitFailed, err)
	}
	return c.printJSON(schema)
}

// jsonSchema is the jsonschema subcommand: print the JSON Schema of a
// stored node, as httpstep.NodeConfigSchema gives it.
func (c *cli) jsonSchema(args []string) int {
	if c.help(args) {
		return exitOK
	}
	if len(args) != 0 {
		return c.usageError("jsonschema takes no arguments, not %d", len(args))
	}
	if _, err := c.stdout.Write(httpstep.NodeConfigSchema()); err != nil {
		return c.fail(exitFailed, err)
	}
	return exitOK
}
