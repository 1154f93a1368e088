package auth

import (
	"fmt"
	"strings"
)

// Role is a set of permissions a token grants (a bit set).
type Role uint8

// Roles. Ingest includes Read; Admin includes everything.
const (
	// Read: the GET API, the stream and the wallboard's data, and opening and closing
	// the token's own statistics within its quota.
	Read Role = 1 << iota
	// Ingest: POST /v1/events (and Read).
	Ingest
	// Admin: everything, including config reload and closing any statistic.
	Admin
)

// AllRoles is every role (the identity of a server without tokens).
const AllRoles = Read | Ingest | Admin

// roleNames are the roles as written in the tokens file.
var roleNames = []struct {
	name string
	role Role
}{{"read", Read}, {"ingest", Ingest}, {"admin", Admin}}

// ParseRole returns the role named read, ingest or admin.
func ParseRole(s string) (Role, error) {
	for _, r := range roleNames {
		if r.name == s {
			return r.role, nil
		}
	}
	return 0, fmt.Errorf("unknown role %s (read, ingest or admin)", quote(s))
}

// effective returns the roles r grants, implications included.
func (r Role) effective() Role {
	if r&Admin != 0 {
		r |= AllRoles
	}
	if r&Ingest != 0 {
		r |= Read
	}
	return r
}

// Has reports whether r grants every role in want.
func (r Role) Has(want Role) bool { return r.effective()&want == want }

// String lists the roles, e.g. "read,ingest".
func (r Role) String() string {
	var names []string
	for _, n := range roleNames {
		if r&n.role != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}
