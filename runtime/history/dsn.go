package history

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Backend is the kind of database a DSN names.
type Backend uint8

// Backends.
const (
	// SQLite is an embedded database file (modernc.org/sqlite, pure Go).
	SQLite Backend = iota + 1
	// Postgres is a PostgreSQL server (jackc/pgx).
	Postgres
)

// String returns the backend's name.
func (b Backend) String() string {
	switch b {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return fmt.Sprintf("Backend(%d)", uint8(b))
}

// DSN is a parsed history data source name.
type DSN struct {
	Backend Backend
	// Path is the SQLite file (SQLite only).
	Path string
	// URL is the PostgreSQL connection URL, as given (Postgres only).
	URL string
}

// ParseDSN parses a history DSN: "sqlite:PATH" (a file, created when missing; relative
// paths are relative to the working directory) or "postgres://…" / "postgresql://…" (a
// libpq-style URL, e.g. postgres://user:pass@host:5432/db?sslmode=disable, or
// postgres://user@/db?host=/run/postgresql for a Unix socket).
func ParseDSN(s string) (DSN, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		p = strings.TrimPrefix(p, "//") // sqlite:///abs/path is accepted too
		switch {
		case p == "":
			return DSN{}, errors.New("history DSN sqlite: needs a file path, e.g. sqlite:history.db")
		case strings.ContainsAny(p, "?#\x00"):
			return DSN{}, fmt.Errorf("history DSN %q: the SQLite path may not contain '?', '#' or NUL", s)
		}
		return DSN{Backend: SQLite, Path: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("history DSN: %s", redact(err.Error(), s))
		}
		if u.Path == "" || u.Path == "/" {
			return DSN{}, fmt.Errorf("history DSN %s: names no database (postgres://HOST/DATABASE)", Redact(s))
		}
		return DSN{Backend: Postgres, URL: s}, nil
	}
	return DSN{}, fmt.Errorf("history DSN %q: want sqlite:PATH or postgres://…", Redact(s))
}

// String returns the DSN with any password replaced by "xxxxx", for logs and errors.
func (d DSN) String() string {
	if d.Backend == SQLite {
		return "sqlite:" + d.Path
	}
	return Redact(d.URL)
}

// Redact returns s with the password of a URL in it replaced by "xxxxx".
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil {
			if i := strings.Index(s, "@"); i >= 0 {
				return "…@" + s[i+1:]
			}
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redact removes the DSN s from msg (a parse error quotes its input).
func redact(msg, s string) string {
	return strings.ReplaceAll(msg, s, Redact(s))
}
