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

// quote quotes s for a message when it looks like a name of at most MaxShown bytes, and
// otherwise only says how long it is.
func quote(s string) string {
	if len(s) <= MaxShown && identifier.MatchString(s) {
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

// RedactMessage returns msg with every quoted fragment that does not look like a name
// (or is longer than MaxShown bytes) replaced by its length, so that an answer never
// carries a file's content beyond the offending token.
func RedactMessage(msg string) string {
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if q[0] == '"' {
			inner = strings.ReplaceAll(inner, `\"`, `"`)
		}
		if len(inner) <= MaxShown && identifier.MatchString(inner) {
			return q
		}
		return fmt.Sprintf("(a value of %d bytes, not shown)", len(inner))
	})
}

// RedactFileErrors prepares positioned errors about a file for an answer: each error's
// leading path (path, as the errors name it) becomes the file's base name, the rest goes
// through RedactMessage, and each line is cut to 512 bytes. The result says what and at
// which line:col, not where the file is nor what it holds.
func RedactFileErrors(path string, errs []string) []string {
	out := make([]string, 0, len(errs))
	base := filepath.Base(path)
	for _, e := range errs {
		if path != "" {
			if rest, ok := strings.CutPrefix(e, path); ok {
				e = base + rest
			}
			e = strings.ReplaceAll(e, path, base)
		}
		e = RedactMessage(e)
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
