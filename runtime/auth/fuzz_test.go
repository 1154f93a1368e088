package auth

import (
	"strings"
	"testing"
)

// secretMarker stands for a token in the fuzzed files: no error may ever show it.
const secretMarker = "SECRETSECRETSECRET42"

// FuzzParseTokens: any text gives tokens or positioned errors, never a panic; errors
// never show a token; a file that loads has tokens, with unique names.
func FuzzParseTokens(f *testing.F) {
	f.Add("tokens:\n  - name: a\n    token: " + secretMarker + "\n    roles: [read]\n")
	f.Add("tokens:\n  - {name: a, sha256: " + sha(secretMarker) + ", roles: [admin], quota: {streams: 2}}\n")
	f.Add("tokens:\n  - name: " + secretMarker + "\n    " + secretMarker + ": x\n    roles: [" + secretMarker + "]\n")
	f.Add("tokens: [")
	f.Add("tokens:\n  - &a {name: a}\n  - *a\n")
	f.Fuzz(func(t *testing.T, text string) {
		tk, err := ParseTokens("f.yaml", []byte(text))
		if err != nil {
			if strings.Contains(err.Error(), secretMarker) {
				t.Fatalf("an error shows the token: %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("an error without its file: %q", line)
				}
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range tk.Names() {
			if seen[n] {
				t.Fatalf("name %q twice", n)
			}
			seen[n] = true
		}
		if tk.Len() == 0 {
			t.Fatal("a file with no token loaded")
		}
	})
}
