// Package curl is the node editor's "paste a cURL command": [Parse] turns a
// pasted command into a [httpstep.NodeConfig], and [Import] adds notes for
// the person who pasted it. It reads what people paste: browser devtools'
// "Copy as cURL (bash)" and "(cmd)", Postman and Insomnia exports, and the
// examples of API documentation. It only parses; the node's own
// [httpstep.NodeConfig.Validate] judges the result. The way back, a node as
// a command, is [httpstep.NodeConfig.Curl]. The runtime does not import
// this package, so a program that only runs nodes does not carry its
// tables.
//
// The command is split into words as a POSIX shell would (single quotes,
// double quotes with backslash escapes, $'...' ANSI-C quoting,
// backslash-newline continuations) or, when the text shows it (a line
// ending in ^, or ^" quoting), as cmd.exe and curl.exe would. Variables
// such as $TOKEN are kept as typed. A # at the start of a word begins a
// comment. The first command is imported: an unquoted line break, |, < or >,
// or a ; or & at the start of a word, ends it (a next line, a pipe into jq,
// a redirect, a next command). An unquoted & inside a word stays, so a URL
// pasted without quotes keeps its query, and a <PLACEHOLDER> of API
// documentation stays as text (a shell would read a redirect): [Import]
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
//     password), digest with --digest, awsSigV4 with --aws-sigv4
//     "aws:amz:REGION:SERVICE" (-u KEY:SECRET; a region or service left
//     out stays empty, for Validate to ask); --oauth2-bearer becomes bearer. A
//     -H Authorization header wins over them, as in curl: "Bearer TOKEN"
//     (one word, a {{ref}} included) becomes bearer and "Basic BASE64" of
//     user:password basic, with a note, so the token is a credential
//     (redacted, kept to its host); any other value stays a header.
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
// the one place where the node knowingly differs from curl: [Import] notes
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
// Errors start with "httpstep: curl:". Parse and Import are safe for
// concurrent use.
package curl
