// Package httpstep runs the "Send API Request" step of a no-code workflow
// engine.
//
// A workflow engine stores a node's configuration as JSON ([NodeConfig]):
// method, URL with dynamic parameters, query entries, headers, body, success
// rule, failure policy, retries, pagination. When a run reaches the node the
// engine calls [Execute] (or [Client.Execute]) with that configuration and the
// values of upstream nodes ([Params]); it gets back a [Result] with the parsed
// response (single data through [Result.Get] and [Result.Lookup], array data
// through [Result.Rows]) or a classified [Failure] that a person reading the
// execution history can understand.
//
// Values from upstream nodes are untrusted. They are escaped for the place
// they land in (URL path segment, query, header, JSON string or bare value,
// XML, form field), so no value can change the shape of a request. Secrets
// ([Secret]) never reach [Result.Attempts] or error text, and the SSRF guard
// keeps user-typed URLs away from internal networks unless the [Client] allows
// them.
package httpstep
