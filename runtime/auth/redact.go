package auth

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// MaxShown is the most bytes of a file's content an error message shows: the offending
// token, when it looks like a name.
const MaxShown = 64

// identifier is what a quoted fragment must look like to be shown in an answer: a name
// (a field, a stat type, a role), not a value that may be a secret.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

// nameLike reports whether s may be shown in an answer: it looks like a name (a field,
// a stat type, a role) of at most MaxShown bytes, and not like a secret — a long string
// with digits in it (a key, a token) is not shown.
func nameLike(s string) bool {
	if len(s) > MaxShown || !identifier.MatchString(s) {
		return false
	}
	return len(s) < 12 || !strings.ContainsAny(s, "0123456789")
}

// quote quotes s for a message when it is nameLike, and otherwise only says how long it
// is.
func quote(s string) string {
	if nameLike(s) {
		return `"` + s + `"`
	}
	return fmt.Sprintf("(a value of %d bytes, not shown)", len(s))
}

// short quotes s (Go syntax), cut to MaxShown bytes: for values the client or the
// operator gave on the command line, not file content.
func short(s string) string {
	if len(s) > MaxShown {
		s = s[:MaxShown] + "…"
	}
	return strconv.Quote(s)
}

// quoted matches the quoted fragments of a message: "…", `…` and '…'.
var quoted = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`|'[^']*'")

// RedactMessage returns msg with every quoted fragment that is not nameLike replaced by
// its length, so that an answer never
// carries a file's content beyond the offending token.
func RedactMessage(msg string) string {
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if q[0] == '"' {
			inner = strings.ReplaceAll(inner, `\"`, `"`)
		}
		if nameLike(inner) {
			return q
		}
		return fmt.Sprintf("(a value of %d bytes, not shown)", len(inner))
	})
}

// pathRE matches a file path in a message: a token with a slash in it, up to a colon or
// a space (an absolute path, or a relative one with a directory).
var pathRE = regexp.MustCompile(`(?:\.{0,2}/)?(?:[^\s:/"'` + "`" + `]+/)+[^\s:/"'` + "`" + `]*`)

// RedactFileErrors prepares errors about files for an answer: every file path becomes
// its base name, the rest goes through RedactMessage, and each line is cut to 512
// bytes. The result says what and at which line:col, not where the files are nor what
// they hold.
func RedactFileErrors(errs []string) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		e = RedactMessage(e)
		e = pathRE.ReplaceAllStringFunc(e, func(p string) string {
			if base := filepath.Base(p); base != "/" && base != "." {
				return base
			}
			return "(a path)"
		})
		if len(e) > 512 {
			e = e[:509] + "..."
		}
		out = append(out, e)
	}
	return out
}

// NewErrorID returns a random id for an internal error: the answer carries it, and so
// does the log line with the error, so that an operator finds one from the other
// without the answer saying anything about the server's files.
func NewErrorID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
