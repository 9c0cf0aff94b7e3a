package callbackurl

import (
	"context"
	"testing"
)

func TestWithFrom(t *testing.T) {
	ctx := context.Background()
	if _, ok := From(ctx); ok {
		t.Fatal("a bare context carries no callback URL")
	}
	if _, ok := From(With(ctx, "")); ok {
		t.Fatal("an empty URL counts as none")
	}
	u, ok := From(With(ctx, "https://host/cb/t"))
	if !ok || u != "https://host/cb/t" {
		t.Fatalf("From = %q, %v", u, ok)
	}
}
