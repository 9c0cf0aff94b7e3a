package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK     = 0 // success, or a failure under the continue policy
	exitFailed = 1 // a failure under the terminate policy, or an error
	exitUsage  = 2 // bad usage, unreadable input, an invalid node
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli carries the standard streams to the subcommands.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run runs the command line args (without the program name) and returns the
// exit status. Canceling ctx cancels a running node.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if args[0] == "help" {
		args = []string{"-h"}
	}
	if c.help(args[:1]) {
		return exitOK
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return c.runNode(ctx, "run", rest)
	case "test":
		return c.runNode(ctx, "test", rest)
	case "curl":
		return c.curl(rest)
	case "schema":
		return c.schema(rest)
	case "jsonschema":
		return c.jsonSchema(rest)
	default:
		return c.usageError("unknown command %q: use run, test, curl, schema or jsonschema", cmd)
	}
}

// usageError reports bad usage on stderr and returns exitUsage.
func (c *cli) usageError(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "httpstep: "+format+"\n", a...)
	fmt.Fprintln(c.stderr, "Run 'httpstep help' for usage.")
	return exitUsage
}

// fail reports err on stderr and returns code.
func (c *cli) fail(code int, err error) int {
	fmt.Fprintln(c.stderr, err)
	return code
}

// help prints the usage to stdout when args are a lone request for it.
func (c *cli) help(args []string) bool {
	if len(args) != 1 || (args[0] != "-h" && args[0] != "-help" && args[0] != "--help") {
		return false
	}
	fmt.Fprint(c.stdout, usage)
	return true
}
