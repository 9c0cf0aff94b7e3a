package curl

import (
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/internal/nodespec"
)

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
	{long: "aws-sigv4", arg: true, value: (*curlCmd).setAWSSigV4},
	{long: "digest", flag: func(c *curlCmd, on bool) { c.creds.digest = on }},
	{long: "user-agent", short: 'A', arg: true, value: (*curlCmd).setUserAgent},
	{long: "referer", short: 'e', arg: true, value: (*curlCmd).setReferer},
	{long: "cookie", short: 'b', arg: true, value: (*curlCmd).addCookie},
	{long: "get", short: 'G', flag: func(c *curlCmd, on bool) { c.get = on }},
	{long: "globoff", short: 'g', flag: func(c *curlCmd, on bool) { c.globoff = on }},
	{long: "head", short: 'I', flag: func(c *curlCmd, on bool) { c.head = on }},
	{long: "insecure", short: 'k', flag: func(c *curlCmd, on bool) { c.node.InsecureSkipVerify = on }},
	{long: "proxy", short: 'x', arg: true, value: (*curlCmd).setProxy},
	{long: "socks4", arg: true, value: (*curlCmd).setProxy},
	{long: "socks4a", arg: true, value: (*curlCmd).setProxy},
	{long: "socks5", arg: true, value: (*curlCmd).setProxy},
	{long: "socks5-hostname", arg: true, value: (*curlCmd).setProxy},
	{long: "max-time", short: 'm', arg: true, value: (*curlCmd).setMaxTime},
	{long: "retry", arg: true, value: (*curlCmd).setRetry},
	{long: "range", short: 'r', arg: true, value: (*curlCmd).setRange},
	{long: "url", arg: true, value: (*curlCmd).addURL},
	{long: "url-query", arg: true, value: (*curlCmd).addURLQuery},
	{long: "upload-file", short: 'T', arg: true, value: func(_ *curlCmd, flag, v string) error { return fileBodyError(flag, v) }},
}

// ignoredFlags are boolean options that change only how curl itself behaves.
// Each is "long" or "long short" (one character).
var ignoredFlags = []string{
	"compressed", "location L", "location-trusted", "silent s", "show-error S", "verbose v",
	"include i", "show-headers", "fail f", "fail-with-body", "fail-early", "buffer N",
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

// curlLongNames are the long names in sorted order, for prefix matching.
var curlLongNames = slices.Sorted(maps.Keys(curlLong))

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

// longOption applies --name and returns how many following words it used.
func (c *curlCmd) longOption(w string, rest []string) (int, error) {
	o, on, err := lookupLong(w)
	if err != nil {
		return 0, err
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

// lookupLong finds the option of --name as curl does: the exact name, else
// the one option the name begins (--sil is --silent), and for a boolean
// option "no-" before either (--no-insecure). on is false when negated.
func lookupLong(w string) (o *curlOption, on bool, err error) {
	name := w[2:]
	if o, err = lookupLongName(w, name); o != nil || err != nil {
		return o, true, err
	}
	if base, ok := strings.CutPrefix(name, "no-"); ok {
		switch o, err = lookupLongName(w, base); {
		case err != nil:
			return nil, false, err
		case o != nil && !o.arg:
			return o, false, nil
		}
	}
	return nil, false, unknownOption(w)
}

// lookupLongName finds name exactly or as the prefix of one option only;
// nil when nothing matches, an error when several do.
func lookupLongName(w, name string) (*curlOption, error) {
	if o := curlLong[name]; o != nil {
		return o, nil
	}
	var found []string
	for _, long := range curlLongNames {
		if strings.HasPrefix(long, name) && name != "" {
			found = append(found, "--"+long)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return curlLong[found[0][2:]], nil
	}
	if len(found) > 3 {
		found = append(found[:3], "...")
	}
	return nil, curlErrorf("option %s is ambiguous: it begins %s; write the whole name", w, strings.Join(found, ", "))
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

// setMethod keeps a method other than the standard ones as typed (PURGE,
// purge), as curl sends it; a standard one is written in upper case, as the
// node sends it whatever its case.
func (c *curlCmd) setMethod(_, v string) error {
	c.method = nodespec.Method(v)
	return nil
}

// setRange adds the Range header of -r/--range: bytes=RANGE, with the "-"
// that curl appends to a lone start ("600" is "600-").
func (c *curlCmd) setRange(flag, v string) error {
	v = strings.TrimSpace(v)
	if v == "" || strings.Trim(v, "0123456789-,") != "" {
		return curlErrorf("%s %q: give a byte range such as 0-499, 500- or -500", flag, v)
	}
	if !strings.Contains(v, "-") {
		v += "-"
	}
	c.setDerived("Range", "bytes="+v)
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
	c.headers = append(c.headers, curlHeader{KeyValue: httpstep.KeyValue{Key: name, Value: strings.TrimSpace(value)}})
	return nil
}

// setDerived sets a header made by an option, replacing an earlier one.
func (c *curlCmd) setDerived(key, value string) {
	if h := c.derived(key); h != nil {
		h.Value = value
		return
	}
	c.headers = append(c.headers, curlHeader{KeyValue: httpstep.KeyValue{Key: key, Value: value}, derived: true})
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

// curlEscape encodes as curl's --data-urlencode and --url-query do: every
// byte but the unreserved characters percent-encoded, a space as '+'.
func curlEscape(s string) string { return url.QueryEscape(s) }

// setUser keeps -u user:password for the node's auth block.
func (c *curlCmd) setUser(_, v string) error {
	c.creds.user = nil
	if v != "" {
		c.creds.user = &v
	}
	return nil
}

// setBearer keeps --oauth2-bearer for the node's auth block.
func (c *curlCmd) setBearer(_, v string) error {
	c.creds.bearer = &v
	return nil
}

// setAWSSigV4 keeps --aws-sigv4 provider1[:provider2[:region[:service]]].
func (c *curlCmd) setAWSSigV4(_, v string) error {
	c.creds.aws = &v
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
		v = h.Value + ";" + v // curl joins them with a bare ;
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
	c.node.Timeout = httpstep.Duration(math.Round(secs * float64(time.Second)))
	return nil
}

// maxRetries bounds --retry: the retries and the first attempt make at
// most the attempts that Validate allows.
const maxRetries = nodespec.MaxAttempts - 1

func (c *curlCmd) setRetry(flag, v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > maxRetries {
		return curlErrorf("%s %q: give the number of retries, from 0 to %d", flag, v, maxRetries)
	}
	c.node.Retry = nil
	if n > 0 {
		c.node.Retry = &httpstep.RetryPolicy{MaxAttempts: n + 1}
	}
	return nil
}

func (c *curlCmd) addURL(_, v string) error {
	c.urls = append(c.urls, v)
	return nil
}
