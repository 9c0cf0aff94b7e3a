package httpstep

import (
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseCurl turns a pasted cURL command into a NodeConfig: the product's
// "paste a cURL command" import. It reads what people paste: browser
// devtools' "Copy as cURL (bash)" and "(cmd)", Postman and Insomnia exports,
// and the examples of API documentation. It only parses; the node's own
// Validate judges the result.
//
// The command is split into words as a POSIX shell would: single quotes,
// double quotes with backslash escapes, $'...' ANSI-C quoting and
// backslash-newline continuations. Variables such as $TOKEN are kept as
// typed. A # at the start of a word begins a comment. An unquoted |, < or >,
// or a ; or & at the start of a word, ends the command (a pipe into jq, a
// redirect, a next command): the rest is ignored. An unquoted & inside a
// word stays, so a URL pasted without quotes keeps its query. A command in
// the Windows cmd.exe dialect
// (a line ending in ^, or ^" quoting) is read the way cmd.exe and curl.exe
// read it: every ^ escapes the next character, also inside double quotes, as
// the browsers' copies intend, then double quotes group and \" is a literal
// quote. An unclosed quote is an error naming its line and column. The first
// word must be curl, or a path to it such as /usr/bin/curl or curl.exe,
// after an optional shell prompt "$".
//
// Options are curl's: short ones may be combined (-sSL) and take their
// value attached or as the next word (-XPOST, -X POST); long ones take it as
// the next word (curl does not read --header=value). -- ends the options.
//
//   - -X/--request sets the method (upper-cased). Otherwise it is HEAD with
//     -I/--head, POST when there is data or a form, else GET.
//   - -H/--header "Name: value" adds a header; "Name;" adds one with an
//     empty value; "Name:" (which removes a header of curl's own) adds
//     nothing. Content-Length and Accept-Encoding are dropped: the transport
//     sets the length and negotiates and decodes compression itself.
//   - -u/--user becomes an Authorization: Basic header (no colon means an
//     empty password), --oauth2-bearer an Authorization: Bearer header,
//     -A/--user-agent, -e/--referer and -b/--cookie (cookie text; several
//     are joined with "; ") their headers. A header given with -H wins over
//     the same header made by these options, as in curl.
//   - -d/--data, --data-ascii, --data-binary, --data-raw, --data-urlencode
//     (name=value with the value percent-encoded) and --json give the
//     request data; several pieces are joined with '&' (--json pieces are
//     concatenated). --json also sets Content-Type and Accept to
//     application/json.
//   - -F/--form name=value and --form-string add form-data fields; curl's
//     quoting and ";type=..." suffixes of -F values are read. A file part
//     (name=@path or name=<path) becomes a field whose File is a placeholder
//     ref, "file", then "file2", "file3" ...: bind it to an attachment of
//     the workflow after importing.
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
// a raw body keeps it as Body.ContentType and the form kinds drop it (their
// encoders write the type and the multipart boundary), so no request ever
// carries two values. Without a body a Content-Type header stays a header.
//
// The URL is kept as typed: nothing is re-encoded and its query stays in the
// string (Query is left empty). Backslash-escaped brackets and braces, which
// browsers write to turn off curl's URL globbing, are unescaped; globbing
// itself is not expanded. A URL without a scheme gets http://, as curl
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
	if !utf8.ValidString(command) {
		return nil, curlErrorf("the command is not UTF-8 text: copy it again as plain text")
	}
	words, err := splitCommand(command)
	if err != nil {
		return nil, err
	}
	args, err := curlArgs(words)
	if err != nil {
		return nil, err
	}
	c := &curlCmd{}
	if err := c.parse(args); err != nil {
		return nil, err
	}
	return c.build()
}

// curlErrorf makes an error with the "httpstep: curl: " prefix. String
// arguments, which quote the command, are clipped to errorQuoteRunes.
func curlErrorf(format string, a ...any) error {
	for i, x := range a {
		if s, ok := x.(string); ok {
			a[i] = clip(s, errorQuoteRunes)
		}
	}
	return fmt.Errorf("httpstep: curl: "+format, a...)
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

// ---- words ----

// wordBuilder collects the words of a command line.
type wordBuilder struct {
	word   []byte
	inWord bool // a word has started, even an empty quoted one
	words  []string
}

func (w *wordBuilder) add(c byte) {
	w.word = append(w.word, c)
	w.inWord = true
}

func (w *wordBuilder) flush() {
	if w.inWord {
		w.words = append(w.words, string(w.word))
	}
	w.word, w.inWord = w.word[:0], false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// splitCommand splits a pasted command into words, in the cmd.exe dialect
// when the text shows it and as a POSIX shell otherwise. Every word must be
// UTF-8, which $'\xHH' escapes could break.
func splitCommand(s string) ([]string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	split := splitPOSIX
	if isCmdStyle(s) {
		split = splitCmd
	}
	words, err := split(s)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		if !utf8.ValidString(w) {
			return nil, curlErrorf("a \\x or octal escape in %q makes bytes that are not UTF-8 text: write the characters themselves", w)
		}
	}
	return words, nil
}

// unclosedQuote reports a quote opened at byte offset i of s and never closed.
func unclosedQuote(s string, i int, quote string) error {
	line := 1 + strings.Count(s[:i], "\n")
	col := 1 + utf8.RuneCountInString(s[strings.LastIndexByte(s[:i], '\n')+1:i])
	return curlErrorf("the %s quote at line %d, column %d is never closed: close it, or escape it if it is part of a value", quote, line, col)
}

// isCmdStyle reports whether s looks written for Windows cmd.exe: a line
// ending in the ^ continuation, a word opening with ^" or a \^" escape
// (Chrome's "Copy as cURL (cmd)"), or, in a command without single quotes,
// a "" doubled inside a word (older Firefox and Chrome copies).
func isCmdStyle(s string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasSuffix(strings.TrimRight(line, " \t"), "^") {
			return true
		}
	}
	if strings.Contains(s, `\^"`) {
		return true
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '^' && s[i+1] == '"' && (i == 0 || isSpace(s[i-1])) {
			return true
		}
	}
	return !strings.Contains(s, "'") && hasDoubledQuote(s)
}

// hasDoubledQuote reports a "" with a word character on either side.
func hasDoubledQuote(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		before := s[i-1]
		if s[i] == '"' && s[i+1] == '"' && !isSpace(before) && before != '\\' && before != '"' && !isSpace(s[i+2]) {
			return true
		}
	}
	return false
}

// posixLexer splits a command line as a POSIX shell does.
type posixLexer struct {
	wordBuilder
	s string
	i int
}

func splitPOSIX(s string) ([]string, error) {
	lx := &posixLexer{s: s}
	for lx.i < len(s) {
		stop, err := lx.step()
		if err != nil {
			return nil, err
		}
		if stop {
			break
		}
	}
	lx.flush()
	return lx.words, nil
}

// step reads one character or quoted part; stop means the command ended.
func (lx *posixLexer) step() (stop bool, err error) {
	c, next := lx.s[lx.i], lx.peek(1)
	switch {
	case isSpace(c):
		lx.flush()
		lx.i++
	case c == '\\':
		lx.backslash()
	case c == '\'':
		return false, lx.single()
	case c == '"':
		return false, lx.double(lx.i)
	case c == '$' && next == '\'':
		return false, lx.ansiC()
	case c == '$' && next == '"':
		lx.i++
		return false, lx.double(lx.i - 1)
	case c == '`' && next == '\n': // PowerShell's continuation
		lx.i += 2
	case !lx.inWord && c == '#':
		lx.skipLine()
	case c == '|' || c == '<' || c == '>' || !lx.inWord && (c == ';' || c == '&'):
		if allDigits(lx.word) { // the 2 of 2>/dev/null
			lx.word, lx.inWord = lx.word[:0], false
		}
		return true, nil
	default:
		lx.add(c)
		lx.i++
	}
	return false, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// peek returns the byte k places ahead, or 0 past the end.
func (lx *posixLexer) peek(k int) byte {
	if lx.i+k < len(lx.s) {
		return lx.s[lx.i+k]
	}
	return 0
}

// backslash quotes the next character; before a newline it joins lines.
func (lx *posixLexer) backslash() {
	switch next := lx.peek(1); {
	case lx.i+1 >= len(lx.s):
		lx.add('\\')
	case next != '\n':
		lx.add(next)
	}
	lx.i += 2
}

func (lx *posixLexer) skipLine() {
	for lx.i < len(lx.s) && lx.s[lx.i] != '\n' {
		lx.i++
	}
}

// single reads '...': everything up to the next ' is literal.
func (lx *posixLexer) single() error {
	end := strings.IndexByte(lx.s[lx.i+1:], '\'')
	if end < 0 {
		return unclosedQuote(lx.s, lx.i, "'")
	}
	lx.word = append(lx.word, lx.s[lx.i+1:lx.i+1+end]...)
	lx.inWord = true
	lx.i += end + 2
	return nil
}

// double reads "..." whose opening quote is at lx.i: a backslash escapes
// $ ` " \ and newline only. start is where the quoting began, for errors.
func (lx *posixLexer) double(start int) error {
	for i := lx.i + 1; i < len(lx.s); {
		c := lx.s[i]
		switch {
		case c == '"':
			lx.inWord = true
			lx.i = i + 1
			return nil
		case c == '\\' && i+1 < len(lx.s) && strings.IndexByte("$`\"\\\n", lx.s[i+1]) >= 0:
			if lx.s[i+1] != '\n' {
				lx.add(lx.s[i+1])
			}
			i += 2
		default:
			lx.add(c)
			i++
		}
	}
	return unclosedQuote(lx.s, start, `"`)
}

// ansiC reads $'...' (bash's ANSI-C quoting) starting at the $.
func (lx *posixLexer) ansiC() error {
	for i := lx.i + 2; i < len(lx.s); {
		switch c := lx.s[i]; {
		case c == '\'':
			lx.inWord = true
			lx.i = i + 1
			return nil
		case c == '\\' && i+1 < len(lx.s):
			i = lx.ansiEscape(i + 1)
		default:
			lx.add(c)
			i++
		}
	}
	return unclosedQuote(lx.s, lx.i, "$'")
}

// ansiSimple maps the one-letter ANSI-C escapes to their bytes.
var ansiSimple = map[byte]byte{
	'a': 7, 'b': 8, 'e': 27, 'E': 27, 'f': 12, 'n': '\n', 'r': '\r', 't': '\t', 'v': 11,
	'\\': '\\', '\'': '\'', '"': '"', '?': '?',
}

// ansiEscape decodes the escape whose letter is at s[i] and returns the
// index after it. An unknown escape is kept with its backslash, as bash does.
func (lx *posixLexer) ansiEscape(i int) int {
	c := lx.s[i]
	if b, ok := ansiSimple[c]; ok {
		lx.add(b)
		return i + 1
	}
	switch {
	case c >= '0' && c <= '7':
		v, n := readDigits(lx.s[i:], 8, 3)
		lx.add(byte(v))
		return i + n
	case c == 'x' || c == 'u' || c == 'U':
		v, n := readDigits(lx.s[i+1:], 16, map[byte]int{'x': 2, 'u': 4, 'U': 8}[c])
		if n == 0 {
			break
		}
		if c == 'x' {
			lx.add(byte(v))
		} else {
			lx.word = utf8.AppendRune(lx.word, rune(v))
		}
		return i + 1 + n
	case c == 'c' && i+1 < len(lx.s) && lx.s[i+1] != '\'':
		lx.add(lx.s[i+1] & 0x1f)
		return i + 2
	}
	lx.add('\\')
	lx.add(c)
	return i + 1
}

// readDigits reads up to max digits of base at the start of s.
func readDigits(s string, base, max int) (v int32, n int) {
	for n < max && n < len(s) {
		d, err := strconv.ParseUint(s[n:n+1], base, 8)
		if err != nil {
			break
		}
		v = v*int32(base) + int32(d)
		n++
	}
	return v, n
}

// splitCmd splits a command written for cmd.exe: carets first (uncaret),
// then the quoting rules of the Microsoft C runtime: whitespace separates
// words outside double quotes, "" inside quotes is a literal quote, and
// backslashes are literal unless they precede a quote.
func splitCmd(s string) ([]string, error) {
	b, pos := uncaret(s)
	var w wordBuilder
	inQuote, quoteAt := false, 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\':
			i = w.crtBackslashes(b, i)
			continue
		case c == '"' && inQuote && i+1 < len(b) && b[i+1] == '"':
			w.add('"')
			i++
		case c == '"':
			inQuote, quoteAt, w.inWord = !inQuote, i, true
		case !inQuote && isSpace(c):
			w.flush()
		default:
			w.add(c)
		}
		i++
	}
	if inQuote {
		return nil, unclosedQuote(s, pos[quoteAt], `"`)
	}
	w.flush()
	return w.words, nil
}

// crtBackslashes reads the run of backslashes at b[i]: before a quote, each
// pair is one backslash and an odd one escapes the quote. It returns the
// index after what it used.
func (w *wordBuilder) crtBackslashes(b []byte, i int) int {
	j := i
	for j < len(b) && b[j] == '\\' {
		j++
	}
	n := j - i
	if j < len(b) && b[j] == '"' {
		n /= 2
	}
	for range n {
		w.add('\\')
	}
	if j < len(b) && b[j] == '"' && (j-i)%2 == 1 {
		w.add('"')
		return j + 1
	}
	return j
}

// uncaret applies cmd.exe's escape: ^ makes the next character literal, and
// ^ at the end of a line (trailing blanks allowed) joins it to the next one,
// whose first character is then literal. It returns the text and, for each
// of its bytes, the offset in s it came from.
func uncaret(s string) ([]byte, []int) {
	out, pos := make([]byte, 0, len(s)), make([]int, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '^' {
			i++
			if rest := strings.TrimLeft(s[i:], " \t"); strings.HasPrefix(rest, "\n") {
				i = len(s) - len(rest) + 1
			}
			if i >= len(s) {
				break
			}
		}
		out, pos = append(out, s[i]), append(pos, i)
	}
	return out, pos
}

// ---- options ----

// curlOption is one curl option the import knows.
type curlOption struct {
	long  string
	short byte
	arg   bool                                   // takes a value
	value func(c *curlCmd, flag, v string) error // nil: accepted and ignored
	flag  func(c *curlCmd, on bool)              // booleans; nil: accepted and ignored
}

// curlOptions lists the options with an effect on the node.
var curlOptions = []curlOption{
	{long: "request", short: 'X', arg: true, value: (*curlCmd).setMethod},
	{long: "header", short: 'H', arg: true, value: (*curlCmd).addHeader},
	{long: "data", short: 'd', arg: true, value: (*curlCmd).addDataMaybeFile},
	{long: "data-ascii", arg: true, value: (*curlCmd).addDataMaybeFile},
	{long: "data-binary", arg: true, value: (*curlCmd).addDataMaybeFile},
	{long: "data-raw", arg: true, value: (*curlCmd).addDataRaw},
	{long: "data-urlencode", arg: true, value: (*curlCmd).addDataURLEncode},
	{long: "json", arg: true, value: (*curlCmd).addJSON},
	{long: "form", short: 'F', arg: true, value: (*curlCmd).addForm},
	{long: "form-string", arg: true, value: (*curlCmd).addFormString},
	{long: "user", short: 'u', arg: true, value: (*curlCmd).setUser},
	{long: "oauth2-bearer", arg: true, value: (*curlCmd).setBearer},
	{long: "user-agent", short: 'A', arg: true, value: (*curlCmd).setUserAgent},
	{long: "referer", short: 'e', arg: true, value: (*curlCmd).setReferer},
	{long: "cookie", short: 'b', arg: true, value: (*curlCmd).addCookie},
	{long: "get", short: 'G', flag: func(c *curlCmd, on bool) { c.get = on }},
	{long: "head", short: 'I', flag: func(c *curlCmd, on bool) { c.head = on }},
	{long: "insecure", short: 'k', flag: func(c *curlCmd, on bool) { c.node.InsecureSkipVerify = on }},
	{long: "proxy", short: 'x', arg: true, value: (*curlCmd).setProxy},
	{long: "socks4", arg: true, value: (*curlCmd).setProxy},
	{long: "socks4a", arg: true, value: (*curlCmd).setProxy},
	{long: "socks5", arg: true, value: (*curlCmd).setProxy},
	{long: "socks5-hostname", arg: true, value: (*curlCmd).setProxy},
	{long: "max-time", short: 'm', arg: true, value: (*curlCmd).setMaxTime},
	{long: "retry", arg: true, value: (*curlCmd).setRetry},
	{long: "url", arg: true, value: (*curlCmd).addURL},
	{long: "url-query", arg: true, value: (*curlCmd).addURLQuery},
	{long: "upload-file", short: 'T', arg: true, value: func(_ *curlCmd, flag, v string) error { return fileBodyError(flag, v) }},
}

// ignoredFlags are boolean options that change only how curl itself behaves.
// Each is "long" or "long short" (one character).
var ignoredFlags = []string{
	"compressed", "location L", "location-trusted", "silent s", "show-error S", "verbose v",
	"include i", "show-headers", "fail f", "fail-with-body", "fail-early", "globoff g", "buffer N",
	"progress-bar #", "progress-meter", "remote-name O", "remote-name-all", "remote-header-name J",
	"disable q", "parallel Z", "ipv4 4", "ipv6 6", "http0.9", "http1.0 0", "http1.1", "http2",
	"http2-prior-knowledge", "http3", "http3-only", "tlsv1 1", "tlsv1.0", "tlsv1.1", "tlsv1.2",
	"tlsv1.3", "path-as-is", "raw", "tr-encoding", "basic", "anyauth", "ssl-no-revoke",
	"ssl-revoke-best-effort", "keepalive", "sessionid", "alpn", "npn", "tcp-nodelay",
	"tcp-fastopen", "styled-output", "create-dirs", "xattr", "post301", "post302", "post303",
	"proxytunnel p", "proxy-insecure", "suppress-connect-headers", "retry-all-errors",
	"retry-connrefused", "ignore-content-length", "clobber", "remove-on-error",
}

// ignoredValues are options whose value concerns curl itself or the
// organisation's settings; the value is skipped.
var ignoredValues = []string{
	"connect-timeout", "output o", "write-out w", "stderr", "dump-header D", "cookie-jar c",
	"max-redirs", "keepalive-time", "limit-rate", "trace", "trace-ascii", "trace-config",
	"retry-delay", "retry-max-time", "max-filesize", "output-dir", "proxy-user U", "noproxy",
	"cacert", "capath", "cert E", "key", "cert-type", "key-type", "pass", "ciphers",
	"expect100-timeout", "speed-limit Y", "speed-time y", "interface",
}

var curlLong, curlShort = indexCurlOptions()

// allCurlOptions returns every option the import knows.
func allCurlOptions() []curlOption {
	all := append([]curlOption(nil), curlOptions...)
	for _, spec := range ignoredFlags {
		all = append(all, ignoredOption(spec, false))
	}
	for _, spec := range ignoredValues {
		all = append(all, ignoredOption(spec, true))
	}
	return all
}

// indexCurlOptions indexes every known option by long name and short letter.
func indexCurlOptions() (map[string]*curlOption, map[byte]*curlOption) {
	all := allCurlOptions()
	long, short := map[string]*curlOption{}, map[byte]*curlOption{}
	for i := range all {
		o := &all[i]
		long[o.long] = o
		if o.short != 0 {
			short[o.short] = o
		}
	}
	return long, short
}

// ignoredOption reads a "long" or "long s" entry of the ignored lists.
func ignoredOption(spec string, arg bool) curlOption {
	name, letter, _ := strings.Cut(spec, " ")
	o := curlOption{long: name, arg: arg}
	if letter != "" {
		o.short = letter[0]
	}
	return o
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
	noOpts   bool // after --
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

// longOption applies --name and returns how many following words it used.
func (c *curlCmd) longOption(w string, rest []string) (int, error) {
	name := w[2:]
	o, on := curlLong[name], true
	if o == nil {
		if base, ok := strings.CutPrefix(name, "no-"); ok && curlLong[base] != nil && !curlLong[base].arg {
			o, on = curlLong[base], false
		}
	}
	if o == nil {
		return 0, unknownOption(w)
	}
	if !o.arg {
		o.set(c, on)
		return 0, nil
	}
	if len(rest) == 0 {
		return 0, missingValue(w)
	}
	return 1, o.apply(c, w, rest[0])
}

// shortOptions applies a group such as -sSL or -XPOST and returns how many
// following words it used.
func (c *curlCmd) shortOptions(w string, rest []string) (int, error) {
	for k := 1; k < len(w); k++ {
		o := curlShort[w[k]]
		if o == nil {
			r, _ := utf8.DecodeRuneInString(w[k:])
			return 0, unknownOption("-" + string(r))
		}
		flag := "-" + w[k:k+1]
		switch {
		case !o.arg:
			o.set(c, true)
		case k+1 < len(w):
			return 0, o.apply(c, flag, w[k+1:])
		case len(rest) == 0:
			return 0, missingValue(flag)
		default:
			return 1, o.apply(c, flag, rest[0])
		}
	}
	return 0, nil
}

func (o *curlOption) set(c *curlCmd, on bool) {
	if o.flag != nil {
		o.flag(c, on)
	}
}

func (o *curlOption) apply(c *curlCmd, flag, v string) error {
	if o.value == nil {
		return nil
	}
	return o.value(c, flag, v)
}

func unknownOption(flag string) error {
	if name, _, ok := strings.Cut(flag, "="); ok && curlLong[strings.TrimPrefix(name, "--")] != nil {
		return curlErrorf("option %s is not supported: curl takes the value as the next word, write %s VALUE", flag, name)
	}
	return curlErrorf("option %s is not supported: remove it, then set that part of the request on the node by hand", flag)
}

func missingValue(flag string) error {
	return curlErrorf("option %s needs a value: write it as %s VALUE", flag, flag)
}

// ---- option effects ----

func (c *curlCmd) setMethod(_, v string) error {
	c.method = strings.ToUpper(strings.TrimSpace(v))
	return nil
}

// addHeader adds "Name: value" or "Name;" (empty value).
func (c *curlCmd) addHeader(flag, v string) error {
	if strings.HasPrefix(v, "@") {
		return curlErrorf("%s %s reads headers from a file, which cannot be imported: paste each header as %s 'Name: value'", flag, v, flag)
	}
	name, value, ok := strings.Cut(v, ":")
	if !ok {
		if name, ok = strings.CutSuffix(strings.TrimSpace(v), ";"); !ok {
			return curlErrorf("header %q has no colon: write it as %s 'Name: value'", v, flag)
		}
	} else if strings.TrimSpace(value) == "" {
		return nil // "Name:" removes one of curl's own headers; the node has none
	}
	if name = strings.TrimSpace(name); name == "" {
		return curlErrorf("header %q has no name: write it as %s 'Name: value'", v, flag)
	}
	c.headers = append(c.headers, curlHeader{KeyValue: KeyValue{Key: name, Value: strings.TrimSpace(value)}})
	return nil
}

// setDerived sets a header made by an option, replacing an earlier one.
func (c *curlCmd) setDerived(key, value string) {
	if h := c.derived(key); h != nil {
		h.Value = value
		return
	}
	c.headers = append(c.headers, curlHeader{KeyValue: KeyValue{Key: key, Value: value}, derived: true})
}

func (c *curlCmd) derived(key string) *curlHeader {
	for i := range c.headers {
		if h := &c.headers[i]; h.derived && strings.EqualFold(h.Key, key) {
			return h
		}
	}
	return nil
}

// addData appends a data piece: '&' between pieces, none between --json ones.
func (c *curlCmd) addData(v string, json bool) {
	if c.hasData && !(json && c.lastJSON) {
		c.data.WriteByte('&')
	}
	c.data.WriteString(v)
	c.hasData, c.lastJSON = true, json
}

func (c *curlCmd) addDataMaybeFile(flag, v string) error {
	if strings.HasPrefix(v, "@") {
		return fileBodyError(flag, v)
	}
	c.addData(v, false)
	return nil
}

func (c *curlCmd) addDataRaw(_, v string) error {
	c.addData(v, false)
	return nil
}

func (c *curlCmd) addJSON(flag, v string) error {
	if strings.HasPrefix(v, "@") {
		return fileBodyError(flag, v)
	}
	c.addData(v, true)
	c.json = true
	c.setDerived("Accept", "application/json")
	return nil
}

func (c *curlCmd) addDataURLEncode(flag, v string) error {
	s, err := urlEncodePiece(flag, v)
	if err == nil {
		c.addData(s, false)
	}
	return err
}

func (c *curlCmd) addURLQuery(flag, v string) error {
	if raw, ok := strings.CutPrefix(v, "+"); ok {
		c.query = append(c.query, raw)
		return nil
	}
	s, err := urlEncodePiece(flag, v)
	if err == nil {
		c.query = append(c.query, s)
	}
	return err
}

// urlEncodePiece encodes a --data-urlencode value the way curl does:
// "content", "=content", "name=content" (only content is encoded);
// "name@file" and "@file" read a file and are refused.
func urlEncodePiece(flag, v string) (string, error) {
	i := strings.IndexByte(v, '=')
	if i < 0 {
		if strings.Contains(v, "@") {
			return "", fileBodyError(flag, v)
		}
		return curlEscape(v), nil
	}
	if i == 0 {
		return curlEscape(v[1:]), nil
	}
	return v[:i] + "=" + curlEscape(v[i+1:]), nil
}

// curlEscape percent-encodes all but the unreserved characters, as curl does.
func curlEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func (c *curlCmd) addForm(flag, v string) error       { return c.addFormField(flag, v, false) }
func (c *curlCmd) addFormString(flag, v string) error { return c.addFormField(flag, v, true) }

// addFormField reads -F name=value, name=@file, name=<file, or with
// literal (--form-string) name=anything.
func (c *curlCmd) addFormField(flag, v string, literal bool) error {
	name, content, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return curlErrorf("%s %q has no '=': write it as %s 'name=value', or name=@file for a file", flag, v, flag)
	case literal:
		c.form = append(c.form, FormField{Key: name, Value: content})
	case strings.HasPrefix(content, "@") || strings.HasPrefix(content, "<"):
		c.files++
		c.form = append(c.form, FormField{Key: name, File: fileRef(c.files)})
	case strings.HasPrefix(content, "("):
		return curlErrorf("%s %q starts a nested multipart, which cannot be imported: build the form on the node by hand", flag, v)
	default:
		c.form = append(c.form, FormField{Key: name, Value: formText(content)})
	}
	return nil
}

// formText reads the text of a -F value as curl does: a "quoted" word with
// \" and \\ escapes, or the text up to the first ';' (which starts
// parameters such as ;type=), without surrounding blanks.
func formText(s string) string {
	const blanks = " \t\n\r\v\f"
	s = strings.TrimLeft(s, blanks)
	if rest, ok := strings.CutPrefix(s, `"`); ok {
		var b strings.Builder
		for i := 0; i < len(rest); i++ {
			switch {
			case rest[i] == '\\' && i+1 < len(rest) && (rest[i+1] == '\\' || rest[i+1] == '"'):
				i++
				b.WriteByte(rest[i])
			case rest[i] == '"':
				return b.String()
			default:
				b.WriteByte(rest[i])
			}
		}
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, blanks)
}

func (c *curlCmd) setUser(_, v string) error {
	if v == "" {
		return nil
	}
	if !strings.Contains(v, ":") {
		v += ":"
	}
	c.setDerived("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)))
	return nil
}

func (c *curlCmd) setBearer(_, v string) error {
	c.setDerived("Authorization", "Bearer "+v)
	return nil
}

func (c *curlCmd) setUserAgent(_, v string) error {
	if v != "" {
		c.setDerived("User-Agent", v)
	}
	return nil
}

func (c *curlCmd) setReferer(_, v string) error {
	if v = strings.TrimSuffix(v, ";auto"); v != "" {
		c.setDerived("Referer", v)
	}
	return nil
}

// addCookie adds cookie text; curl reads a value without '=' as a file name.
func (c *curlCmd) addCookie(flag, v string) error {
	switch {
	case v == "":
		return nil
	case !strings.Contains(v, "="):
		return curlErrorf("%s %s reads cookies from a file, which cannot be imported: paste the cookies as %s 'name=value; name2=value2'", flag, v, flag)
	}
	if h := c.derived("Cookie"); h != nil {
		v = h.Value + "; " + v
	}
	c.setDerived("Cookie", v)
	return nil
}

func (c *curlCmd) setProxy(_, v string) error {
	c.node.UseProxy = v != ""
	return nil
}

// maxSeconds is the longest timeout a Duration holds.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

func (c *curlCmd) setMaxTime(flag, v string) error {
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(secs >= 0 && secs <= maxSeconds) {
		return curlErrorf("%s %q: give the timeout in seconds, such as %s 30", flag, v, flag)
	}
	c.node.Timeout = Duration(secs * float64(time.Second))
	return nil
}

// maxRetries bounds --retry.
const maxRetries = 1000

func (c *curlCmd) setRetry(flag, v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > maxRetries {
		return curlErrorf("%s %q: give the number of retries, from 0 to %d", flag, v, maxRetries)
	}
	c.node.Retry = nil
	if n > 0 {
		c.node.Retry = &RetryPolicy{MaxAttempts: n + 1}
	}
	return nil
}

func (c *curlCmd) addURL(_, v string) error {
	c.urls = append(c.urls, v)
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
	n.Headers = headers
	n.Body = c.body(hasBody, contentType)
	return &n, nil
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
	u := globUnescaper.Replace(urls[0])
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

const formURLEncoded = "application/x-www-form-urlencoded"

// dataBody chooses the body for data sent with contentType ("" when none
// was given).
func dataBody(data, contentType string) *Body {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch {
	case contentType == "" && looksJSON(data):
		return &Body{Kind: BodyRaw, ContentType: "application/json", Raw: data}
	case contentType == "" || mediaType == formURLEncoded:
		if fields, ok := parseURLEncoded(data); ok {
			return &Body{Kind: BodyURLEncoded, Fields: fields}
		}
		if contentType == "" {
			contentType = formURLEncoded
		}
	case mediaType == "multipart/form-data" && params["boundary"] != "":
		if fields, ok := parseMultipart(data, params["boundary"]); ok {
			return &Body{Kind: BodyFormData, Fields: fields}
		}
	}
	return &Body{Kind: BodyRaw, ContentType: contentType, Raw: data}
}

func looksJSON(data string) bool {
	t := strings.TrimSpace(data)
	return t != "" && (t[0] == '{' || t[0] == '[')
}

// parseURLEncoded decodes name=value&... pieces in order; ok is false unless
// every non-empty piece has a name, an '=', valid escapes and UTF-8 text.
func parseURLEncoded(data string) (fields []FormField, ok bool) {
	for piece := range strings.SplitSeq(data, "&") {
		if piece == "" {
			continue
		}
		k, v, found := strings.Cut(piece, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if !found || err1 != nil || err2 != nil || key == "" || !utf8.ValidString(key+value) {
			return nil, false
		}
		fields = append(fields, FormField{Key: key, Value: value})
	}
	return fields, true
}

// parseMultipart reads a multipart/form-data body into fields; a part with
// a filename becomes a file field with a placeholder ref. ok is false unless
// the whole body parses into named parts with UTF-8 text.
func parseMultipart(data, boundary string) (fields []FormField, ok bool) {
	r := multipart.NewReader(strings.NewReader(data), boundary)
	for files := 0; ; {
		p, err := r.NextPart()
		if err == io.EOF {
			return fields, len(fields) > 0
		}
		if err != nil {
			return nil, false
		}
		disposition, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if err != nil || disposition != "form-data" || params["name"] == "" || !utf8.ValidString(params["name"]) {
			return nil, false
		}
		if _, isFile := params["filename"]; isFile {
			files++
			fields = append(fields, FormField{Key: params["name"], File: fileRef(files)})
			continue
		}
		value, err := io.ReadAll(p)
		if err != nil || !utf8.Valid(value) {
			return nil, false
		}
		fields = append(fields, FormField{Key: params["name"], Value: string(value)})
	}
}
