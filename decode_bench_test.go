package httpstep

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// BenchmarkUTF16Growth: a GET answered with n bytes of UTF-16LE text (CJK,
// which grows by half in UTF-8), converted under the size limit, n doubled
// twice. Linear growth shows as about twice the time and the bytes per
// step; B/op over the body's size is what the conversion holds per byte.
func BenchmarkUTF16Growth(b *testing.B) {
	for _, n := range growthSizes(1 << 20) {
		b.Run(fmt.Sprintf("bytes=%d", n), func(b *testing.B) {
			text := strings.Repeat("中文", n/4)
			body, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(text))
			if err != nil || len(body) != n {
				b.Fatal(len(body), err)
			}
			srv := answerServer(b, "text/plain; charset=utf-16le", body)
			c := &Client{AllowPrivate: true}
			b.Cleanup(c.CloseIdleConnections)
			node := &NodeConfig{URL: srv.URL}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Execute(context.Background(), node, nil)
				if err != nil || len(res.Body) != len(text) {
					b.Fatal(len(res.Body), err)
				}
			}
		})
	}
}
