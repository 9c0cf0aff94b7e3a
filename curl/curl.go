package curl

import (
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/nodespec"
	"github.com/httpstep/httpstep/internal/shellwords"
	"github.com/httpstep/httpstep/internal/textcut"
)

// Parse turns a pasted cURL command into a node: the product's "paste a
// cURL command". It is Import without the notes; see the package
// documentation for what it reads. It only parses: the node's own Validate
// judges the result. Errors start with "httpstep: curl:" and say what to
// change in the command.
func Parse(command string) (*httpstep.NodeConfig, error) {
	node, _, err := Import(command)
	return node, err
}

// Import is Parse with notes for the person who pasted the command, each a
// sentence, in the order found, none when the import is exact: what was
// kept as typed or left out (a second command that was ignored, a
// <PLACEHOLDER> kept in the URL, data taken for JSON, credentials the node
// refuses over plain http). The node and the errors are Parse's; on an
// error the node is nil and there are no notes.
func Import(command string) (*httpstep.NodeConfig, []string, error) {
	if !utf8.ValidString(command) {
		return nil, nil, curlErrorf("the command is not UTF-8 text: copy it again as plain text")
	}
	line, err := splitCommand(command)
	if err != nil {
		return nil, nil, err
	}
	args, err := curlArgs(line.Words)
	if err != nil {
		return nil, nil, err
	}
	c := &curlCmd{}
	if err := c.parse(args); err != nil {
		return nil, nil, err
	}
	node, err := c.build()
	if err != nil {
		return nil, nil, err
	}
	return node, append(c.notes, restNotes(line)...), nil
}

// importError is a command that cannot be imported: what is wrong and
// what to do. Error adds the "httpstep: curl: " prefix.
type importError struct{ msg string }

func (e *importError) Error() string { return "httpstep: curl: " + e.msg }

// curlErrorf makes an importError. String arguments, which quote the
// command, are clipped to errorQuoteRunes.
func curlErrorf(format string, a ...any) error {
	for i, x := range a {
		if s, ok := x.(string); ok {
			a[i] = clip(s, errorQuoteRunes)
		}
	}
	return &importError{msg: fmt.Sprintf(format, a...)}
}

// clip cuts s to at most n bytes, followed by "..." when something was cut.
func clip(s string, n int) string { return textcut.Clip(s, n) }

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
	node     httpstep.NodeConfig // the fields options set directly
	method   string
	urls     []string
	query    []string // --url-query pieces, encoded
	headers  []curlHeader
	data     strings.Builder
	hasData  bool
	lastJSON bool // the last data piece came from --json
	json     bool
	form     []httpstep.FormField
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
	httpstep.KeyValue
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
func (c *curlCmd) build() (*httpstep.NodeConfig, error) {
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
		headers = append(headers, httpstep.KeyValue{Key: "Content-Type", Value: kept})
	}
	n.Headers = headers
	n.Auth = c.creds.node(c.headers)
	if n.Auth == nil {
		if n.Auth, n.Headers = headerAuth(headers); n.Auth != nil {
			c.notes = append(c.notes, "the Authorization header is imported as auth "+n.Auth.Type+
				", so its credential is treated as one: redacted in the history, and never sent to another host")
		}
	}
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
func keptContentType(b *httpstep.Body, typed string) string {
	mt, params, err := mime.ParseMediaType(typed)
	if b == nil || typed == "" || err != nil {
		return ""
	}
	switch b.Kind {
	case httpstep.BodyURLEncoded:
		if typed != formURLEncoded {
			return typed
		}
	case httpstep.BodyFormData:
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
func (c *curlCmd) noteGuesses(n *httpstep.NodeConfig, guessed bool) {
	if p := placeholder.FindString(n.URL); p != "" {
		c.notes = append(c.notes, fmt.Sprintf("the URL holds %s, a placeholder of the documentation: replace it with a value or a {{ref}}", p))
	}
	if guessed && !c.json && n.Body != nil && n.Body.Kind == httpstep.BodyRaw && n.Body.ContentType == "application/json" {
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
		u = nodespec.AppendQuery(u, q)
	}
	return u
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
func (c *curlCmd) finalHeaders(hasBody bool) (headers []httpstep.KeyValue, contentType string) {
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

func (c *curlCmd) body(hasBody bool, contentType string) *httpstep.Body {
	switch {
	case len(c.form) > 0:
		return &httpstep.Body{Kind: httpstep.BodyFormData, Fields: c.form}
	case !hasBody:
		return nil
	case contentType == "" && c.json:
		contentType = "application/json"
	}
	return dataBody(c.data.String(), contentType)
}
