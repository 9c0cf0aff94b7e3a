package httpstep

import (
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/httpstep/httpstep/internal/shellwords"
)

// ParseCurl turns a pasted cURL command into a NodeConfig: the product's
// "paste a cURL command" import. It reads what people paste: browser
// devtools' "Copy as cURL (bash)" and "(cmd)", Postman and Insomnia exports,
// and the examples of API documentation. It only parses; the node's own
// Validate judges the result.
//
// The command is split into words by internal/shellwords, as a POSIX shell
// would (single quotes, double quotes with backslash escapes, $'...' ANSI-C
// quoting, backslash-newline continuations) or, when the text shows it (a
// line ending in ^, or ^" quoting), as cmd.exe and curl.exe would. Variables
// such as $TOKEN are kept as typed. A # at the start of a word begins a
// comment. The first command is imported: an unquoted line break, |, < or >,
// or a ; or & at the start of a word, ends it (a next line, a pipe into jq,
// a redirect, a next command). An unquoted & inside a word stays, so a URL
// pasted without quotes keeps its query, and a <PLACEHOLDER> of API
// documentation stays as text (a shell would read a redirect): ImportCurl
// notes it, and a second curl command, which is not imported. An unclosed
// quote is an error naming its line and column. The first word must be
// curl, or a path to it such as /usr/bin/curl or curl.exe, after an
// optional shell prompt "$".
//
// Options are curl's: short ones may be combined (-sSL) and take their
// value attached or as the next word (-XPOST, -X POST); long ones take it as
// the next word (curl does not read --header=value) and may be shortened to
// any prefix that names one option only (--sil is --silent). -- ends the
// options.
//
//   - -X/--request sets the method: any token, kept as typed (PURGE, purge),
//     but the standard methods in upper case, as the node sends them.
//     Otherwise it is HEAD with -I/--head, POST when there is data or a
//     form, else GET.
//   - -H/--header "Name: value" adds a header; "Name;" adds one with an
//     empty value; "Name:" (which removes a header of curl's own) adds
//     nothing. Content-Length and Accept-Encoding are dropped: the transport
//     sets the length and negotiates and decodes compression itself. A Host
//     header is kept, and sent. -r/--range R adds Range: bytes=R (R- when R
//     is a lone number, as curl does).
//   - -u/--user becomes the auth block: basic (no colon means an empty
//     password), digest with --digest; --oauth2-bearer becomes bearer. A
//     -H Authorization header wins over them, as in curl.
//   - -A/--user-agent, -e/--referer and -b/--cookie (cookie text; several
//     are joined with "; ") become their headers. A header given with -H
//     wins over the same header made by these options, as in curl.
//   - -d/--data, --data-ascii, --data-binary, --data-raw, --data-urlencode
//     (name=value with the value percent-encoded) and --json give the
//     request data; several pieces are joined with '&' (--json pieces are
//     concatenated). --json also sets Content-Type and Accept to
//     application/json.
//   - -F/--form name=value and --form-string add form-data fields; curl's
//     quoting and ";type=" and ";filename=" parameters of -F values are
//     read into the field's ContentType and Filename (";headers=" and
//     ";encoder=" are refused, others skipped, as curl skips them). A file
//     part (name=@path or name=<path) becomes a field whose File is a
//     placeholder ref, "file", then "file2", "file3" ...: bind it to an
//     attachment of the workflow after importing.
//   - -G/--get appends the data to the URL's query instead of sending it.
//   - -k/--insecure sets InsecureSkipVerify; -x/--proxy (and --socks5 and
//     friends) set UseProxy, so the organisation's proxy is used, whatever
//     address the command names; -m/--max-time sets Timeout (0 keeps the
//     default); --retry N asks for N+1 attempts.
//   - --url and --url-query give the URL and query parts.
//
// The body follows the data and the Content-Type header. With no
// Content-Type, data that starts with { or [ is a raw application/json
// body; otherwise the data is curl's default application/x-www-form-urlencoded
// and, when every piece is a well-formed name=value, becomes an
// x-www-form-urlencoded body with the decoded fields in order (else a raw
// body of that type). A multipart/form-data Content-Type with data in that
// format (as browsers copy a form post) becomes form-data fields, file parts
// as placeholder refs. Any other type gives a raw body with that
// ContentType. When there is a body, the Content-Type header moves into it:
// a raw body keeps it as Body.ContentType and the form kinds drop it when
// their encoders write the same type, so no request ever carries two values.
// A type the encoder would not write as typed stays a header and is sent as
// typed: parameters such as charset=UTF-8, or a multipart subtype such as
// multipart/related (without its boundary, which the encoder sets). Without
// a body a Content-Type header stays a header. Data that looks like JSON is
// the one place where the node knowingly differs from curl: ImportCurl notes
// it.
//
// The URL is kept as typed: nothing is re-encoded and its query stays in the
// string (Query is left empty). Backslash-escaped brackets and braces, which
// browsers write to turn off curl's URL globbing, are unescaped, unless -g
// turns globbing off (curl then sends them as they stand); globbing itself
// is not expanded. A URL without a scheme gets http://, as curl
// assumes, unless it starts with a {{ref}}. A missing URL, or more than one,
// is an error.
//
// Options whose meaning cannot be imported are errors that say what to do:
// bodies and headers read from files (-d @file, -T, -H @file, a -b cookie
// file) and every option the import does not know. Options that only change how curl
// itself behaves, or belong to the organisation's settings (Client), are
// accepted and ignored; among them --compressed, -L/--location,
// --location-trusted, -s, -S, -v, -i, -f, --fail-with-body, -g, -N, -#,
// -O, -J, -q, -Z, -4, -6, -0, -1, --http1.1, --http2,
// --http2-prior-knowledge, --http3, --tlsv1.x, --path-as-is, --raw,
// --basic, --anyauth, --ssl-no-revoke, --no-keepalive, --no-progress-meter,
// --create-dirs, --post301/302/303, -p and, with their values,
// --connect-timeout, -o, -w, -D, -c, --stderr, --max-redirs, --limit-rate,
// --trace, --retry-delay, --retry-max-time, -U, --noproxy, --cacert,
// --capath, -E/--cert, --key, --cert-type, --key-type, --pass, --ciphers,
// --interface. A boolean option may be negated as curl does (--no-insecure).
//
// Errors start with "httpstep: curl:".
func ParseCurl(command string) (*NodeConfig, error) {
	imp, err := ImportCurl(command)
	if err != nil {
		return nil, err
	}
	return imp.Node, nil
}

// CurlImport is what ImportCurl made of a command: the node, and notes for
// the person who pasted it about what was kept as typed or left out.
type CurlImport struct {
	Node  *NodeConfig
	Notes []string // each a sentence, in the order found; none when the import is exact
}

// ImportCurl is ParseCurl with its notes: a second command that was
// ignored, a <PLACEHOLDER> kept in the URL. The node and the errors are
// ParseCurl's.
func ImportCurl(command string) (*CurlImport, error) {
	if !utf8.ValidString(command) {
		return nil, curlErrorf("the command is not UTF-8 text: copy it again as plain text")
	}
	line, err := splitCommand(command)
	if err != nil {
		return nil, err
	}
	args, err := curlArgs(line.Words)
	if err != nil {
		return nil, err
	}
	c := &curlCmd{}
	if err := c.parse(args); err != nil {
		return nil, err
	}
	node, err := c.build()
	if err != nil {
		return nil, err
	}
	return &CurlImport{Node: node, Notes: append(c.notes, restNotes(line)...)}, nil
}

// curlErrorf makes an error with the "httpstep: curl: " prefix. String
// arguments, which quote the command, are clipped to errorQuoteRunes.
func curlErrorf(format string, a ...any) error {
	for i, x := range a {
		if s, ok := x.(string); ok {
			a[i] = clip(s, errorQuoteRunes)
		}
	}
	return errorf("curl: "+format, a...)
}

// errorQuoteRunes is how much of a value an error quotes.
const errorQuoteRunes = 60

// curlArgs checks that words is a curl command and returns its arguments.
// The program is any word ending in curl or curl.exe, so that paths such as
// /usr/bin/curl and C:\Tools\curl.exe (whose backslashes a POSIX reading
// removes) are accepted.
func curlArgs(words []string) ([]string, error) {
	for len(words) > 0 && (words[0] == "$" || words[0] == ">") {
		words = words[1:]
	}
	if len(words) == 0 {
		return nil, curlErrorf("the command is empty: paste a command such as curl https://api.example.com/items")
	}
	prog := strings.ToLower(words[0])
	if !strings.HasSuffix(prog, "curl") && !strings.HasSuffix(prog, "curl.exe") {
		return nil, curlErrorf("the command starts with %q, not curl: paste a command such as curl https://api.example.com/items", words[0])
	}
	return words[1:], nil
}

// splitCommand splits the first command of a paste into words. Every word
// must be UTF-8, which $'\xHH' escapes could break.
func splitCommand(s string) (shellwords.Command, error) {
	line, err := shellwords.Split(s)
	var qe *shellwords.QuoteError
	if errors.As(err, &qe) {
		return line, curlErrorf("the %s quote at line %d, column %d is never closed: close it, or escape it if it is part of a value", qe.Quote, qe.Line, qe.Column)
	}
	for _, w := range line.Words {
		if !utf8.ValidString(w) {
			return line, curlErrorf("a \\x or octal escape in %q makes bytes that are not UTF-8 text: write the characters themselves", w)
		}
	}
	return line, err
}

// restNotes says what followed the first command when it was more than a
// pipe or a redirect: another command, which is not imported.
func restNotes(line shellwords.Command) []string {
	if line.End != shellwords.Newline && line.End != shellwords.Separator {
		return nil
	}
	next, err := shellwords.Split(line.Rest)
	if err != nil || len(next.Words) == 0 {
		return nil
	}
	if _, err := curlArgs(next.Words); err == nil {
		return []string{"a second curl command follows the first: only the first was imported; import the other one on its own"}
	}
	return []string{fmt.Sprintf("the text after the first line (%s) was ignored: a line break ends a command unless the line ends with \\ (or ^ for cmd.exe)", clip(strings.Join(next.Words, " "), errorQuoteRunes))}
}

// fileBodyError is the error for data or an upload read from a file.
func fileBodyError(flag, v string) error {
	return curlErrorf("%s %s sends a file, and file bodies cannot be imported: remove it, then attach the file to the node (a binary body or a form-data file field)", flag, v)
}

// fileRef returns the placeholder ref of the n-th file part (1-based).
func fileRef(n int) string {
	if n <= 1 {
		return "file"
	}
	return "file" + strconv.Itoa(n)
}

// ---- the command ----

// curlCmd is what the options of one command said.
type curlCmd struct {
	node     NodeConfig // the fields options set directly
	method   string
	urls     []string
	query    []string // --url-query pieces, encoded
	headers  []curlHeader
	data     strings.Builder
	hasData  bool
	lastJSON bool // the last data piece came from --json
	json     bool
	form     []FormField
	files    int // file parts so far
	get      bool
	head     bool
	globoff  bool     // -g: backslashes before brackets and braces are the URL's own
	noOpts   bool     // after --
	creds    curlAuth // -u, --digest, --oauth2-bearer
	notes    []string
}

// curlHeader is a header in command order; derived ones were made by
// options such as -u and give way to a -H of the same name.
type curlHeader struct {
	KeyValue
	derived bool
}

// parse applies the options and collects the URLs.
func (c *curlCmd) parse(args []string) error {
	for i := 0; i < len(args); i++ {
		w, used := args[i], 0
		var err error
		switch {
		case c.noOpts || len(w) < 2 || w[0] != '-':
			c.urls = append(c.urls, w)
		case w == "--":
			c.noOpts = true
		case strings.HasPrefix(w, "--"):
			used, err = c.longOption(w, args[i+1:])
		default:
			used, err = c.shortOptions(w, args[i+1:])
		}
		if err != nil {
			return err
		}
		i += used
	}
	return nil
}

// ---- the node ----

// build turns what the options said into the node.
func (c *curlCmd) build() (*NodeConfig, error) {
	if err := c.checkConflicts(); err != nil {
		return nil, err
	}
	u, err := c.url()
	if err != nil {
		return nil, err
	}
	n := c.node
	hasBody := len(c.form) > 0 || (c.hasData && !c.get)
	n.URL = c.fullURL(u)
	n.Method = c.methodFor(hasBody)
	headers, contentType := c.finalHeaders(hasBody)
	n.Body = c.body(hasBody, contentType)
	if kept := keptContentType(n.Body, contentType); kept != "" {
		headers = append(headers, KeyValue{Key: "Content-Type", Value: kept})
	}
	n.Headers = headers
	n.Auth = c.creds.node(c.headers)
	if note := cleartextNote(&n); note != "" {
		c.notes = append(c.notes, note)
	}
	c.noteGuesses(&n, hasBody && contentType == "")
	return &n, nil
}

// keptContentType returns the Content-Type header a form body keeps because
// its encoder would not send it as typed: parameters such as charset, or a
// multipart subtype such as multipart/related (without the boundary, which
// the encoder sets). It returns "" when the encoder's type is the same.
func keptContentType(b *Body, typed string) string {
	mt, params, err := mime.ParseMediaType(typed)
	if b == nil || typed == "" || err != nil {
		return ""
	}
	switch b.Kind {
	case BodyURLEncoded:
		if typed != formURLEncoded {
			return typed
		}
	case BodyFormData:
		delete(params, "boundary")
		if mt != "multipart/form-data" || len(params) > 0 {
			return mime.FormatMediaType(mt, params)
		}
	}
	return ""
}

// placeholder finds a <NAME> placeholder of API documentation.
var placeholder = regexp.MustCompile(`<[A-Za-z0-9_.-]+>`)

// noteGuesses notes what the person should check: a placeholder kept as
// text, and data taken for JSON (guessed is true when there is data and no
// Content-Type was given).
func (c *curlCmd) noteGuesses(n *NodeConfig, guessed bool) {
	if p := placeholder.FindString(n.URL); p != "" {
		c.notes = append(c.notes, fmt.Sprintf("the URL holds %s, a placeholder of the documentation: replace it with a value or a {{ref}}", p))
	}
	if guessed && !c.json && n.Body != nil && n.Body.Kind == BodyRaw && n.Body.ContentType == "application/json" {
		c.notes = append(c.notes, "the data looks like JSON and no Content-Type was given: the node sends it as application/json, where curl would say application/x-www-form-urlencoded; add -H 'Content-Type: application/x-www-form-urlencoded' to send what curl sends")
	}
}

// checkConflicts refuses what curl itself refuses: two kinds of body, or a
// body on a HEAD request.
func (c *curlCmd) checkConflicts() error {
	switch hasForm := len(c.form) > 0; {
	case hasForm && c.hasData:
		return curlErrorf("the command has both data (-d) and a form (-F), but a request has one body: keep one of them")
	case hasForm && c.get:
		return curlErrorf("-G/--get puts data in the URL, but a -F form cannot go there: remove -G or the form")
	case c.head && !c.get && (hasForm || c.hasData):
		return curlErrorf("-I/--head sends a HEAD request, which has no body: remove -I or the data")
	}
	return nil
}

// url returns the one URL, with http:// when it has no scheme and curl's
// glob escapes removed.
func (c *curlCmd) url() (string, error) {
	var urls []string
	for _, u := range c.urls {
		if u != "" {
			urls = append(urls, u)
		}
	}
	switch len(urls) {
	case 0:
		return "", curlErrorf("the command has no URL: add the address to call, as in curl https://api.example.com/items")
	case 1:
	default:
		return "", curlErrorf("the command has more than one URL (%q and %q): import one request at a time", urls[0], urls[1])
	}
	u := urls[0]
	if !c.globoff { // with -g curl sends a backslash escape as it stands
		u = globUnescaper.Replace(u)
	}
	switch {
	case hasScheme(u) || strings.HasPrefix(u, "{{"):
		return u, nil
	case strings.HasPrefix(u, "//"):
		return "http:" + u, nil
	}
	return "http://" + u, nil
}

var globUnescaper = strings.NewReplacer(`\[`, "[", `\]`, "]", `\{`, "{", `\}`, "}")

// hasScheme reports whether u starts with "scheme://".
func hasScheme(u string) bool {
	scheme, _, ok := strings.Cut(u, "://")
	if !ok || scheme == "" {
		return false
	}
	for i, r := range scheme {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// fullURL appends the --url-query pieces and, with -G, the data.
func (c *curlCmd) fullURL(u string) string {
	pieces := c.query
	if c.get && c.hasData {
		pieces = append(pieces[:len(pieces):len(pieces)], c.data.String())
	}
	for _, q := range pieces {
		u = appendQuery(u, q)
	}
	return u
}

// appendQuery adds q to the query of u, before any #fragment.
func appendQuery(u, q string) string {
	if q == "" {
		return u
	}
	base, frag, hasFrag := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += q
	if hasFrag {
		base += "#" + frag
	}
	return base
}

func (c *curlCmd) methodFor(hasBody bool) string {
	switch {
	case c.method != "":
		return c.method
	case c.head:
		return "HEAD"
	case hasBody:
		return "POST"
	}
	return "GET"
}

// finalHeaders returns the node's headers and, when there is a body, the
// Content-Type taken out of them (the last one given).
func (c *curlCmd) finalHeaders(hasBody bool) (headers []KeyValue, contentType string) {
	typed := map[string]bool{}
	for _, h := range c.headers {
		if !h.derived {
			typed[strings.ToLower(h.Key)] = true
		}
	}
	for _, h := range c.headers {
		switch k := strings.ToLower(h.Key); {
		case h.derived && typed[k], k == "content-length", k == "accept-encoding":
		case k == "content-type" && hasBody:
			contentType = h.Value
		default:
			headers = append(headers, h.KeyValue)
		}
	}
	return headers, contentType
}

func (c *curlCmd) body(hasBody bool, contentType string) *Body {
	switch {
	case len(c.form) > 0:
		return &Body{Kind: BodyFormData, Fields: c.form}
	case !hasBody:
		return nil
	case contentType == "" && c.json:
		contentType = "application/json"
	}
	return dataBody(c.data.String(), contentType)
}
