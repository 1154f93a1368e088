package replica

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// TenantToken returns the subject token of a tenant id. An id made only of ASCII letters,
// digits, '-' and '_' that does not start with '_' is its own token; any other id (empty,
// with dots, spaces, '*', '>' or non-ASCII bytes, or starting with '_') is "_x" followed by
// the hex of its bytes. Tokens are distinct for distinct ids, and a token starting with '_'
// never collides with a plain id.
func TenantToken(tenant string) string {
	if plainToken(tenant) {
		return tenant
	}
	return "_x" + hex.EncodeToString([]byte(tenant))
}

// TenantOf returns the tenant id of a token made by TenantToken (and refuses any other
// string, so that one tenant has one token).
func TenantOf(token string) (string, error) {
	if plainToken(token) {
		return token, nil
	}
	h, ok := strings.CutPrefix(token, "_x")
	if !ok {
		return "", fmt.Errorf("replica: %q is not a tenant token", token)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", fmt.Errorf("replica: tenant token %q: %w", token, err)
	}
	if TenantToken(string(b)) != token { // "_x61" (the plain "a"), upper-case hex
		return "", fmt.Errorf("replica: %q is not the token of its tenant %q", token, b)
	}
	return string(b), nil
}

func plainToken(s string) bool {
	if s == "" || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// KindToken returns the subject token of a record kind (the record's first byte): the
// letter itself for an ASCII letter, "x" and two hex digits otherwise.
func KindToken(kind byte) string {
	if kind >= 'a' && kind <= 'z' || kind >= 'A' && kind <= 'Z' {
		return string(kind)
	}
	return fmt.Sprintf("x%02x", kind)
}

// Subject returns the subject of a record of the given kind for tenant in stream:
// "<stream>.<tenant token>.<kind token>".
func Subject(stream, tenant string, kind byte) string {
	return stream + "." + TenantToken(tenant) + "." + KindToken(kind)
}

// Group is a set of tenants served together: the replicas started with the same
// --tenants follow the same subjects and hold the same state. Its tenants are sorted and
// distinct; the first one is its home, under which the group's own records (clock ticks,
// config reloads) are filed and whose name is the group's lease and snapshot name.
type Group struct {
	tenants []string
}

// ErrNoTenant is returned for a group of no tenant.
var ErrNoTenant = errors.New("replica: a group needs at least one tenant")

// NewGroup returns the group of the given tenants (order and repetitions do not matter).
func NewGroup(tenants ...string) (Group, error) {
	if len(tenants) == 0 {
		return Group{}, ErrNoTenant
	}
	ts := slices.Clone(tenants)
	slices.SortFunc(ts, func(a, b string) int { return strings.Compare(TenantToken(a), TenantToken(b)) })
	ts = slices.Compact(ts)
	return Group{tenants: ts}, nil
}

// Tenants returns the group's tenants, sorted by token.
func (g Group) Tenants() []string { return slices.Clone(g.tenants) }

// Home returns the group's home tenant (the first by token).
func (g Group) Home() string { return g.tenants[0] }

// Has reports whether tenant belongs to the group.
func (g Group) Has(tenant string) bool { return slices.Contains(g.tenants, tenant) }

// Name returns the group's name: its tenant tokens joined by '.' (a valid key-value key
// and object name part; tokens never contain a dot).
func (g Group) Name() string {
	toks := make([]string, len(g.tenants))
	for i, t := range g.tenants {
		toks[i] = TenantToken(t)
	}
	return strings.Join(toks, ".")
}

// filters returns the subjects a follower of the group filters on: every record of each
// of its tenants.
func (g Group) filters(stream string) []string {
	out := make([]string, len(g.tenants))
	for i, t := range g.tenants {
		out[i] = stream + "." + TenantToken(t) + ".>"
	}
	return out
}
