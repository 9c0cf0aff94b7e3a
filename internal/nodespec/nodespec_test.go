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
