package history

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseQuery: any query string gives a Query or a *QueryError, never a panic, and a
// Query it accepts is within the limits.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"statistic=a", "statistic=a&from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z&limit=5",
		"statType=T&objectType=Queue&objectId=Q", "statistic=a&limit=-1", "from=x", "statistic=a&to=9999-12-31T23:59:59Z"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, qs string) {
		v, err := url.ParseQuery(qs)
		if err != nil {
			return
		}
		q, err := ParseQuery(v, now)
		if err != nil {
			if _, ok := err.(*QueryError); !ok {
				t.Fatalf("%q: error %T, want *QueryError", qs, err)
			}
			return
		}
		if !q.From.Before(q.To) || q.To.Sub(q.From) > MaxQuerySpan || q.Limit < 1 || q.Limit > MaxQueryLimit ||
			len(q.Statistics) > MaxQueryIDs || len(q.Statistics) == 0 && (q.StatType == "" || q.ObjectID == "") {
			t.Fatalf("%q: accepted out of limits: %+v", qs, q)
		}
	})
}

// FuzzParseDSN: no panic, and a password never appears in an error or in String.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"sqlite:a.db", "postgres://u:pw@h/db", "postgresql://u:pw@h:5432/db?password=pw", "postgres://u:pw@%zz/db"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDSN(s)
		const pw = "s3cr3tpw"
		if !strings.Contains(s, pw) || strings.Count(s, pw) > 1 {
			return
		}
		u, uerr := url.Parse(s)
		if uerr != nil || u.User == nil {
			return
		}
		if p, _ := u.User.Password(); p != pw {
			return
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Fatalf("%q: the password is in the error %q", s, err)
		}
		if err == nil && strings.Contains(d.String(), pw) {
			t.Fatalf("%q: the password is in %q", s, d)
		}
	})
}
