package main

// usage is the help that httpstep help prints, and the one source of the
// package documentation in doc.go (go test -run TestDocIsUsage -update
// rewrites doc.go from it).
const usage = `httpstep runs "Send API Request" nodes from the command line.

Usage:
  httpstep run    [flags] NODE.json    execute the node, print the result as JSON
  httpstep run    -dry-run NODE.json   print the request the node would send (redacted) and
                                       its cURL command; nothing is sent
  httpstep test   [flags] NODE.json    the same, plus the inferred response schema ("Test API")
  httpstep test   -refs NODE.json      print the refs the node uses, as a JSON array
  httpstep curl   'curl ...'           print the node for a cURL command
                                       (standard input when - or absent; unquoted words work too)
  httpstep curl   -export NODE.json    print the node as a cURL command: {{refs}} as typed, or,
                                       with -p, -s or -params, the values (secrets [REDACTED])
  httpstep schema EXAMPLE.json         print the schema inferred from a JSON response example
  httpstep jsonschema                  print the JSON Schema (draft 2020-12) of a stored node,
                                       for a node editor's form and its check before saving
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
                     (blocked by default, failure kind "blocked"); cloud platform
                     endpoints such as 169.254.169.254 stay blocked
  -allow-network N   let the node reach network N (10.0.0.0/8, or one address such
                     as 169.254.169.254), even a cloud platform endpoint; repeat for more
  -proxy URL         the organisation's proxy (http, https, socks5, socks5h),
                     used only by nodes with "useProxy": true
  -timeout D         per-attempt timeout overriding the node's, e.g. 500ms or 30s
  -max-response N    the largest response body to read, e.g. 64MiB (default 32 MiB;
                     past it, failure kind "too_large"); a failed result prints at
                     most 64 KiB of its body
  -o PATH            save the body to PATH, as a node with "download": true does
                     (a directory keeps the file's name); without -o a download
                     node's file stays in the temporary directory
  -refs              (test only) print the refs the node uses and exit
  -fresh             (test only) forget the test values remembered for the node
  -save-schema       (test only) write the inferred schema into the node file's "response"
  -each ROWS.jsonl   (run only) run the node once per line of ROWS.jsonl, each a JSON
                     object of parameters over -params, -p and -s; prints one result
                     per line (compact), in row order, each with its "row" (from 0)
                     and "line"; stops at the first failure under "terminate",
                     naming its line and row on stderr
  -c N               (run with -each) rows in flight at once; default 1
  -dry-run           (run only) send nothing: print {"request", "curl"}, the request as
                     it would go first (secrets [REDACTED] as in attempts; a token,
                     signature or callback URL that only sending gives is a
                     [placeholder ... when the step runs]) and the node as a cURL command

Test values: on a terminal, test asks for every ref that has no value, the
last answer for the node file as the default (Enter keeps it), and remembers
the answers in the user's configuration directory (httpstep/test-values.json).
A ref is asked without echo and never remembered when it is a secret: its
name says so (token, secret, password, auth, ...key) or it fills a
credential header (Authorization, Cookie, X-Api-Key) or a token-like query
parameter; give any other secret with -s. A ref of an attachment asks for a
file path. Without a terminal, test never asks and uses no remembered value.

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
