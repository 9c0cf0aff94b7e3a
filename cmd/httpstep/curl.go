package main

import (
	"fmt"
	"strings"

	"github.com/httpstep/httpstep/curl"
)

// curl is the curl subcommand: print the node for a cURL command. The
// command is one argument, standard input when the argument is "-" or
// absent, or the words of an unquoted command (re-quoted for the shell
// reading curl.Import does, with "curl" added when missing).
func (c *cli) curl(args []string) int {
	if c.help(args) {
		return exitOK
	}
	if len(args) > 0 && (args[0] == "-export" || args[0] == "--export") {
		return c.export(args[1:])
	}
	command := ""
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "-":
		data, _, err := c.readInput("-")
		if err != nil {
			return c.fail(exitUsage, err)
		}
		command = string(data)
	case len(args) == 1:
		command = args[0]
	default:
		command = shellJoin(args)
	}
	node, notes, err := curl.Import(command)
	if err != nil {
		return c.fail(exitUsage, err)
	}
	for _, note := range notes {
		fmt.Fprintf(c.stderr, "httpstep: note: %s\n", note)
	}
	if err := node.Validate(); err != nil {
		fmt.Fprintln(c.stderr, strings.Replace(invalidNode("the imported node", err).Error(), "fix these settings", "fix these settings before running it", 1))
	}
	return c.printJSON(node)
}

// shellJoin quotes words for a POSIX shell and joins them, so the words
// the shell split come back as they were. "curl" is put first when missing.
func shellJoin(words []string) string {
	if !strings.EqualFold(words[0], "curl") {
		words = append([]string{"curl"}, words...)
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
