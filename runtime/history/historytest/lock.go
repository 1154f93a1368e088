package historytest

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Lock is a history database held locked by LockDatabase: its writers wait (PostgreSQL)
// or fail and retry (SQLite) until Unlock. Conn is the connection holding the lock; a
// test may read through it meanwhile.
type Lock struct {
	Conn *sql.Conn
	t    testing.TB
	db   *sql.DB
	done bool
}

// LockDatabase makes the history database dsn refuse writes: SQLite through another
// connection holding an exclusive lock (waiting for a commit in flight), PostgreSQL
// through a transaction holding the history tables locked. It is released by Unlock or
// at the end of the test. dsn is a test's own: "sqlite:PATH" or a postgres:// DSN from
// PostgresDSN (this package cannot use history.ParseDSN: history's tests import it).
func LockDatabase(t testing.TB, dsn string) *Lock {
	t.Helper()
	ctx := context.Background()
	var (
		db    *sql.DB
		err   error
		stmts []string
	)
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		// busy_timeout: wait for a write being committed (SQLITE_BUSY otherwise).
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		stmts = []string{"BEGIN EXCLUSIVE"}
	} else {
		db, err = sql.Open("pgx", dsn)
		stmts = []string{"BEGIN", "LOCK TABLE statistics, intervals, positions IN ACCESS EXCLUSIVE MODE"}
	}
	if err != nil {
		t.Fatalf("history lock: %v", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatalf("history lock: %v", err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			conn.Close()
			db.Close()
			t.Fatalf("history lock: %s: %v", s, err)
		}
	}
	l := &Lock{Conn: conn, t: t, db: db}
	t.Cleanup(l.Unlock)
	return l
}

// Unlock releases the lock (once; later calls do nothing).
func (l *Lock) Unlock() {
	if l.done {
		return
	}
	l.done = true
	if _, err := l.Conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		l.t.Errorf("history unlock: %v", err)
	}
	l.Conn.Close()
	l.db.Close()
}
