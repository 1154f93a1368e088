package replica

import (
	"strings"
	"testing"
)

// FuzzTenantToken: every tenant id has a token that is a valid subject token and
// key-value key, decodes back to the id, and plain tokens never start with '_'.
func FuzzTenantToken(f *testing.F) {
	for _, s := range []string{"default", "a.b", "_x61", "", "é", "*", ">", "a b", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		tok := TenantToken(id)
		if tok == "" || strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("token %q of %q is not a subject token", tok, id)
		}
		if memberKey(tok) != tok {
			t.Fatalf("token %q of %q is not a key-value key", tok, id)
		}
		back, err := TenantOf(tok)
		if err != nil || back != id {
			t.Fatalf("TenantOf(TenantToken(%q)) = %q, %v", id, back, err)
		}
		// Any string either decodes to the id whose token it is, or is refused.
		if id2, err := TenantOf(id); err == nil && TenantToken(id2) != id {
			t.Fatalf("TenantOf(%q) = %q, whose token is %q", id, id2, TenantToken(id2))
		}
	})
}
