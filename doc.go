// Package httpstep runs the "Send API Request" step of a no-code workflow
// engine: a stored node configuration and the values of upstream nodes go
// in; one HTTP exchange (or a paginated pull, a retried push, a polled job)
// happens; parsed data or a failure a person can read comes out.
//
// # Running a node
//
// A workflow engine stores a node as JSON ([NodeConfig]: method, URL with
// {{ref}} parameters, query, headers, body, auth, success rule, failure
// policy, retries, pagination). When a run reaches the node it calls
// [Execute] with the values of upstream nodes ([Params], or a map as
// [Values]):
//
//	res, err := httpstep.Execute(ctx, node, httpstep.Values{"order": order})
//
// Execute uses [DefaultClient]. A [Client] holds the organisation's
// settings (proxy, egress addresses, the SSRF guard, certificates, size
// caps, per-host [Limit] rules and a circuit [Breaker], the token store); its
// zero value is usable and it is safe for concurrent use: [Client.Execute]
// is the same call on it. A host that runs one node many times compiles it
// once with [NodeConfig.Compile] into a [Step] and sends it with
// [Client.Run]; [Client.Each] runs one Step over many rows, with bounded
// concurrency, results in input order.
//
// # Results and failures
//
// A [Result] holds the status, headers and body (single data through
// [Result.Lookup], array data through [Result.Rows], the node's declared
// output fields through [Result.Field]) and the execution history
// ([Result.Attempts], secrets redacted). An invalid node is a
// [*ConfigError] listing every problem, before anything is sent. A failed
// node has [Result.Failure] set; under the "terminate" policy the same
// [*Failure] is Execute's error, under "continue" the error is nil and
// Lookup answers false. Failure.Kind says what went wrong, for the person
// reading the history: [KindTimeout], [KindNetwork], [KindTLS],
// [KindBlocked] (the SSRF guard refused the destination), [KindStatus] (not
// a success status), [KindErrorCode] (a business error code in a 2xx body),
// [KindTooLarge], [KindParam] (a value could not be placed; nothing was
// sent), [KindCanceled], [KindUnavailable] (the host's circuit is open),
// [KindAuth] (the token endpoint refused) and [KindStorage] (a download
// could not be written).
//
// The enumerations of the node's string fields (the [AuthBasic] auth types,
// the [GrantClientCredentials] grants, [InHeader] and [InQuery], the
// [CredentialsInHeader] places, the [PaginatePage] modes and the
// [PageInQuery] places, the [JitterFull] jitters, the [MissingCodeFailure]
// answers, the [SignHMACSHA256] algorithms and [EncodingHex] encodings, the
// [TypeString] field types, the [RecordToken] records) are untyped string
// constants, where [BodyKind], [Policy] and [FailureKind] are types of their
// own: those fields are plain strings in the fixed contract, and a named
// type would break the host code that assigns them from a string variable.
// Compare and assign with the constants rather than with literals.
//
// Values from upstream nodes are untrusted. They are escaped for the place
// they land in (URL path segment, query, header, JSON string or bare value,
// XML, form field), so no value can change the shape of a request. Secrets
// ([Secret]) never reach [Result.Attempts] or error text, and the SSRF guard
// keeps user-typed URLs away from internal networks unless the [Client] allows
// them.
//
// Beside this package: [github.com/httpstep/httpstep/curl] imports a pasted
// cURL command into a NodeConfig (the way back is [NodeConfig.Curl]), and
// [github.com/httpstep/httpstep/webhook] verifies signed pushes for their
// receivers.
//
// # The SSRF guard's threat model
//
// The attacker writes the URL (a workflow author, or an upstream value that
// lands in it) or controls the server it names (its DNS answers and its
// redirects). The goal is to make this process, or the organisation's
// proxy, connect to an internal destination: loopback, private, link-local
// and other special-purpose addresses (the IANA registries), and the cloud
// platform endpoints reachable from every VM (169.254.169.254, Azure's
// 168.63.129.16, AWS fd00:ec2::254, GCP metadata.google.internal and
// fd20:ce::254, Alibaba 100.100.100.200, Oracle 192.0.0.192). A refusal is a
// [Failure] of kind blocked wrapping a [*BlockedError]; it is never retried,
// and nothing is sent to the refused destination.
//
// The guard checks, in this order:
//   - Before DNS: the host is normalised once (IDNA/UTS #46 for Unicode
//     names, so full-width letters and dots, circled digits and the
//     ideographic full stop read as what they stand for; lower case; no
//     trailing dot) and that one form is checked and sent. An IP literal is
//     judged as is (IPv4-mapped and NAT64 forms by the IPv4 address inside,
//     6to4 and Teredo denied). A host whose last label is a number but which
//     is not a standard IPv4 literal (0x7f.1, 2130706433, 0177.0.0.1) is
//     refused, since resolvers read it differently. The metadata host names
//     are refused by name.
//   - After DNS: the name is resolved once and every answer is checked; if
//     any is denied, the host is.
//   - At dial: the checked addresses, and only those, are dialled, and the
//     socket's Control function checks the address again just before it
//     connects (TCP only).
//   - Through the organisation's proxy ([NodeConfig.UseProxy]): the proxy is
//     trusted and dialled unchecked; the destination is resolved and checked
//     here, and the proxy is asked for the checked address, never the name,
//     so the name cannot answer differently to the proxy (DNS rebinding):
//     plain http goes in absolute form naming the address (a proxy that
//     follows RFC 9112 then sends the address as the Host header), https
//     through CONNECT to the address with the name as TLS server name and
//     Host header, socks5 and socks5h with the address; a tunnel or SOCKS
//     connection that the proxy cannot open to one checked address (502,
//     503, 504, or a SOCKS failure) is asked for the next, as a direct dial
//     tries each (a plain http request goes to the first only: the proxy's
//     502 cannot be told from the origin's). The one setting that
//     weakens this is [Client.ProxyResolvesNames]: the proxy then gets the
//     name and the guard cannot protect destinations behind the proxy.
//   - Per redirect hop: each hop is normalised and checked as above when it
//     is dialled or handed to the proxy; a redirect to another scheme
//     (file:, gopher:, ...) or to a Location that is not a URL is refused
//     (kind blocked).
//   - Per page and per poll: each page of a paginated pull (next URLs
//     included) and each poll of an asynchronous job's status URL is a
//     request of its own, normalised and checked the same way.
//
// [Client.AllowNetworks] lets chosen networks through (an IPv4 prefix also
// covers its mapped and NAT64 forms; holding 169.254.169.254 also lets the
// metadata names through). [Client.AllowPrivate] turns the guard off but for
// the cloud platform endpoints, which stay refused unless AllowNetworks
// holds them: a host that lifts the guard for its own network has not asked
// for its cloud credentials to be reachable. A host that sets it must keep
// the workflow authors and upstream values it runs from reaching internal
// services some other way, for example by running
// the engine in a network namespace or behind an egress firewall that only
// allows the internet, and by never giving the process cloud credentials
// that a metadata endpoint would hand out.
package httpstep
