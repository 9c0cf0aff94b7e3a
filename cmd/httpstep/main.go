// Command httpstep runs "Send API Request" nodes from the command line: try a
// stored node against a real API, import a cURL command, infer the output
// fields of a response example.
//
// Usage:
//
//	httpstep run    [flags] NODE.json    execute the node, print the result as JSON
//	httpstep test   [flags] NODE.json    the same, plus the inferred response schema ("Test API")
//	httpstep test   -refs NODE.json      print the refs the node uses, as a JSON array
//	httpstep curl   'curl ...'           print the node for a cURL command (stdin when - or absent)
//	httpstep schema EXAMPLE.json         print the schema inferred from a JSON response example
//	httpstep help                        print the usage
//
// NODE.json and EXAMPLE.json may be - to read standard input. The flags of
// run and test:
//
//	-p ref=value       a parameter, as text; repeat for more
//	-p ref:=JSON       a parameter as a JSON value: -p n:=42 -p 'tags:=["a","b"]'
//	-p ref=@PATH       a local file as an attachment, for binary and form-data bodies
//	-s ref=value       a secret: sent as given, shown as [REDACTED] in the output
//	-s ref=@PATH       a secret read from a file (one trailing newline removed)
//	-params FILE.json  a JSON object of parameters; refs a.b.c walk nested objects
//	-allow-private     let the node reach loopback and private addresses
//	-proxy URL         the organisation's proxy, used by nodes with "useProxy": true
//	-timeout D         per-attempt timeout overriding the node's, e.g. 30s
//	-o PATH            download the body to PATH (a directory keeps the file's name)
//	-refs              (test only) print the node's refs and exit
//	-each ROWS.jsonl   (run only) the node once per JSON line of parameters, one result per line, in order
//	-c N               (run with -each) rows in flight at once; default 1
//
// -p and -s override -params. run and test print one JSON object with the
// keys ok, status, headers, body (the JSON value, or a string when the body
// is not JSON), failure ({kind, code, message} or null) and attempts (the
// execution history, secrets redacted); test adds schema. The exit status is
// 0 on success and on a failure under "onFailure": "continue", 1 on a failure
// under "terminate" (the default), 2 on bad usage, unreadable input or an
// invalid node, whose problems are printed to standard error one per line.
//
// The SSRF guard is on: without -allow-private a node cannot reach loopback
// or private addresses (the failure kind is "blocked"). Ctrl-C cancels the
// run.
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
	default:
		return c.usageError("unknown command %q: use run, test, curl or schema", cmd)
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

const usage = `httpstep runs "Send API Request" nodes from the command line.

Usage:
  httpstep run    [flags] NODE.json    execute the node, print the result as JSON
  httpstep test   [flags] NODE.json    the same, plus the inferred response schema ("Test API")
  httpstep test   -refs NODE.json      print the refs the node uses, as a JSON array
  httpstep curl   'curl ...'           print the node for a cURL command
                                       (standard input when - or absent; unquoted words work too)
  httpstep schema EXAMPLE.json         print the schema inferred from a JSON response example
  httpstep help                        print this help

NODE.json and EXAMPLE.json may be - to read standard input. Flags may come
before or after NODE.json.

Flags of run and test:
  -p ref=value       a parameter, as text; repeat for more
  -p ref:=JSON       a parameter as a JSON value (numbers stay numbers, objects objects):
                       -p count:=42  -p 'tags:=["a","b"]'  -p 'user:={"id":7}'  -p 'at:="@home"'
  -p ref=@PATH       a local file as an attachment, for binary and form-data bodies
  -s ref=value       a secret: sent as given, shown as [REDACTED] in the output
  -s ref=@PATH       a secret read from a file (one trailing newline removed),
                     which keeps it out of the shell history
  -params FILE.json  a JSON object of parameters; a ref a.b.c walks nested objects;
                     -p and -s override it
  -allow-private     let the node reach loopback and private addresses
                     (blocked by default, failure kind "blocked")
  -proxy URL         the organisation's proxy (http, https, socks5, socks5h),
                     used only by nodes with "useProxy": true
  -timeout D         per-attempt timeout overriding the node's, e.g. 500ms or 30s
  -o PATH            save the body to PATH, as a node with "download": true does
                     (a directory keeps the file's name); without -o a download
                     node's file stays in the temporary directory
  -refs              (test only) print the refs the node uses and exit
  -each ROWS.jsonl   (run only) run the node once per line of ROWS.jsonl, each a JSON
                     object of parameters over -params, -p and -s; prints one result
                     per line (compact), in row order; stops at the first failure
                     under "terminate"
  -c N               (run with -each) rows in flight at once; default 1

Output of run and test: one JSON object with the keys ok, status, headers,
body (the JSON value, or a string when the body is not JSON), failure
({"kind", "code", "message"} or null) and attempts (the execution history,
secrets redacted); test adds schema (null when none could be inferred).
A download node adds file: {"path", "name", "contentType", "size", "sha256"}.

Exit status:
  0  success, or a failure under "onFailure": "continue"
  1  a failure under "onFailure": "terminate" (the default), or an error
  2  bad usage, unreadable input or an invalid node (problems on standard error)
`
