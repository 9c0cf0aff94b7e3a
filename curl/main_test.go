package curl

import (
	"net/http/httptest"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"go.uber.org/goleak"

	"github.com/httpstep/httpstep"
)

// TestMain fails the run when a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { httpstep.DefaultClient.CloseIdleConnections() }))
}

// testClient is a Client that may reach loopback test servers; its idle
// connections are closed when the test ends.
func testClient(t testing.TB) *httpstep.Client {
	c := &httpstep.Client{AllowPrivate: true}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// httpbinURL starts go-httpbin in-process on loopback.
func httpbinURL(t testing.TB) string {
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	return srv.URL
}
