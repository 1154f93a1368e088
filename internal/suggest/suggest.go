// Package suggest finds the name a user probably meant when they typed one that does not
// exist — "CallsAnswerd" for "CallsAnswered" — so an error can say "did you mean …?". It
// is used by the spec and config loaders, the event decoder, the HTTP API and the CLI.
package suggest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// maxDistance is how many single-character edits (insertions, deletions, substitutions)
// a typo of name may have: 1 for names up to 4 characters, one more per 5 characters
// beyond, at most 3. A looser bound suggests unrelated names for short ones.
func maxDistance(name string) int {
	return min(1+len(name)/5, 3)
}

// Closest returns the candidate nearest to name by edit distance, ignoring case, when it
// is within a typo's reach of it (see maxDistance); ties go to the candidate that sorts
// first, so the answer does not depend on the order of candidates. It returns false when
// no candidate is near, when name is empty, or when name is itself a candidate.
func Closest(name string, candidates []string) (string, bool) {
	if name == "" {
		return "", false
	}
	lname := strings.ToLower(name)
	limit := maxDistance(name)
	n := utf8.RuneCountInString(lname)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == name {
			return "", false
		}
		// The distance is at least the difference in length: most candidates of a long
		// list (every open statistic of a server) are ruled out without computing it.
		if diff := utf8.RuneCountInString(c) - n; c == "" || diff > limit || -diff > limit {
			continue
		}
		d := levenshtein.ComputeDistance(lname, strings.ToLower(c))
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit {
		return "", false
	}
	return best, true
}

// Hint returns ` (did you mean "X"?)` for the closest candidate to name, or "" when none
// is near: it is written to follow an error message.
func Hint(name string, candidates []string) string {
	if c, ok := Closest(name, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
