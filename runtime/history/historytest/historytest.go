// Package historytest gives tests a PostgreSQL database of their own for the history
// tests: a fresh schema on the server STATKIT_TEST_POSTGRES names (.ci/postgres starts a
// throwaway one), dropped when the test ends.
package historytest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the DSN of the PostgreSQL server the tests use.
const Env = "STATKIT_TEST_POSTGRES"

// PostgresDSN creates a schema of its own on the test server and returns a DSN whose
// search_path is it; the schema is dropped at the end of the test. Without Env the test
// skips with a message, except in CI (CI=true), where it fails.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set in CI: .ci/run starts PostgreSQL and sets it", Env)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a postgres:// DSN (source .ci/postgres && pg_start starts a throwaway server)", Env)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create a schema on the test server (%s): %v", Env, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
