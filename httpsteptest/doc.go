// Package httpsteptest helps a host test its workflows, as net/http/httptest
// helps test net/http code. It has two tools:
//
//   - [Server], a fake API on loopback (an [httptest.Server] underneath)
//     that answers per method and path with [Answer]s (JSON or text, status,
//     headers, a delay; a sequence of them for retries and pages) and keeps
//     every [Request] it received, with assertions that read naturally in a
//     table test.
//   - [Cassette], record and replay of real exchanges in a testdata file
//     (as go-vcr does): record once against the real API, then replay
//     without a network. Every secret is redacted on disk by the rules of
//     the execution history, and a request that was not recorded fails
//     loudly with an [*UnrecordedError].
//
// Both report through the testing.TB they are given and clean up when the
// test ends. Only loopback is ever listened on; replay never dials.
package httpsteptest
