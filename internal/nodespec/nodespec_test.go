package nodespec

import "testing"

func TestMethod(t *testing.T) {
	for in, want := range map[string]string{
		"": "", " get ": "GET", "Patch": "PATCH", "options": "OPTIONS", "PURGE": "PURGE", "purge": "purge", "MkCol": "MkCol",
	} {
		if got := Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendQuery(t *testing.T) {
	for _, tc := range []struct{ u, q, want string }{
		{"https://a/x", "", "https://a/x"},
		{"https://a/x", "a=1", "https://a/x?a=1"},
		{"https://a/x?", "a=1", "https://a/x?a=1"},
		{"https://a/x?b=2", "a=1", "https://a/x?b=2&a=1"},
		{"https://a/x?b=2&", "a=1", "https://a/x?b=2&a=1"},
		{"https://a/x#f", "a=1", "https://a/x?a=1#f"},
		{"https://a/x?b=2#f?g", "a=1", "https://a/x?b=2&a=1#f?g"},
	} {
		if got := AppendQuery(tc.u, tc.q); got != tc.want {
			t.Errorf("AppendQuery(%q, %q) = %q, want %q", tc.u, tc.q, got, tc.want)
		}
	}
}
