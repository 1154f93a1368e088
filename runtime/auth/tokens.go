package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/internal/yamlpos"
)

// Token is one entry of the tokens file. The secret itself is not kept: only its
// SHA-256, against which a presented token is compared.
type Token struct {
	// Name identifies the token in logs and owns the statistics it opens.
	Name string
	// Roles are the roles it grants.
	Roles Role
	// Quota overrides the server's default quotas (nil fields: the default).
	Quota QuotaOverride
	// Plain says the file holds the token itself rather than its SHA-256.
	Plain  bool
	digest [sha256.Size]byte
}

// QuotaOverride is a token's own quotas; a nil field takes the server's default.
type QuotaOverride struct {
	Statistics *int
	Streams    *int
}

// Tokens is a loaded tokens file. It is never modified: a reload builds a new one.
type Tokens struct {
	list   []Token
	byName map[string]int
}

// Limits of the tokens file.
const (
	// MinTokenLength is the shortest token accepted (a guessable one is refused).
	MinTokenLength = 16
	maxTokenLength = 4096
	maxTokensFile  = 1 << 20
)

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$`)
	// b64token is RFC 6750's token syntax: what fits an Authorization header as is.
	b64tokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)
	hexRE      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// LoadTokens reads and checks the tokens file at path. Errors are positioned
// (path:line:col) and never show a token.
func LoadTokens(path string) (*Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return ParseTokens(path, data)
}

// ParseTokens checks the tokens file text data; file names it in errors:
//
//	tokens:
//	  - name: wallboard            # [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}, unique
//	    sha256: 9f86d08…           # the SHA-256 of the token (hex), or
//	    # token: …                 # the token itself (at least 16 characters)
//	    roles: [read]              # read, ingest, admin
//	    quota: {statistics: 200, streams: 8}   # optional
func ParseTokens(file string, data []byte) (*Tokens, error) {
	if len(data) > maxTokensFile {
		return nil, yamlpos.Error{File: file, Msg: fmt.Sprintf("the tokens file is larger than %d bytes", maxTokensFile)}
	}
	doc, err := yamlpos.Parse(file, bytes.NewReader(data), yamlpos.Limits{MaxBytes: maxTokensFile})
	if err != nil {
		if e, ok := err.(yamlpos.Error); ok {
			e.Msg = RedactMessage(e.Msg)
			return nil, e
		}
		return nil, err
	}
	p := &tokenParser{file: file}
	t := p.file_(yamlpos.Root(doc))
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

type tokenParser struct {
	file string
	errs yamlpos.List
}

func (p *tokenParser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, yamlpos.Errorf(p.file, n, format, args...))
}

// fields returns the key/value pairs of mapping n, reporting keys not in allowed.
func (p *tokenParser) fields(n *yaml.Node, where string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%sexpected a mapping", where)
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode {
			p.errorf(k, "%saliases are not allowed in the tokens file", where)
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || k.Value == a
		}
		switch {
		case !ok:
			// A key may be a token pasted in the wrong place: only a short lowercase
			// word is shown.
			p.errorf(k, "%sunknown field %s", where, fieldName(k.Value))
		case out[k.Value] != nil:
			p.errorf(k, "%sfield %s given twice", where, quote(k.Value))
		default:
			out[k.Value] = v
		}
	}
	return out
}

var fieldRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)

// fieldName quotes an unknown key of the tokens file when it looks like a field name.
func fieldName(s string) string {
	if fieldRE.MatchString(s) {
		return `"` + s + `"`
	}
	return fmt.Sprintf("(a value of %d bytes, not shown)", len(s))
}

func (p *tokenParser) str(n *yaml.Node, where string) (string, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "") {
		p.errorf(n, "%sexpected a string", where)
		return "", false
	}
	return n.Value, true
}

func (p *tokenParser) file_(root *yaml.Node) *Tokens {
	t := &Tokens{byName: map[string]int{}}
	top := p.fields(root, "", "tokens")
	if top == nil {
		return t
	}
	list := top["tokens"]
	if list == nil {
		p.errorf(root, "no tokens: list them under tokens:")
		return t
	}
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, "tokens: expected a list")
		return t
	}
	digests := map[[sha256.Size]byte]string{}
	for i, n := range list.Content {
		where := "tokens[" + strconv.Itoa(i) + "]."
		tok, ok := p.entry(n, where)
		if !ok {
			continue
		}
		if _, dup := t.byName[tok.Name]; dup {
			p.errorf(n, "%sname %s is used twice", where, quote(tok.Name))
			continue
		}
		if other, dup := digests[tok.digest]; dup {
			p.errorf(n, "%s%s has the same token as %s", where, quote(tok.Name), quote(other))
			continue
		}
		digests[tok.digest] = tok.Name
		t.byName[tok.Name] = len(t.list)
		t.list = append(t.list, tok)
	}
	if len(t.list) == 0 && len(p.errs) == 0 {
		p.errorf(list, "tokens: the list is empty (no client could get in)")
	}
	return t
}

// entry checks one token entry.
func (p *tokenParser) entry(n *yaml.Node, where string) (Token, bool) {
	var tok Token
	f := p.fields(n, where, "name", "token", "sha256", "roles", "quota")
	if f == nil {
		return tok, false
	}
	before := len(p.errs)
	if v := f["name"]; v == nil {
		p.errorf(n, "%sname: missing", where)
	} else if s, ok := p.str(v, where+"name: "); ok {
		if !nameRE.MatchString(s) {
			p.errorf(v, "%sname: %s is not a name (letters, digits, _ . @ -, at most 64)", where, quote(s))
		}
		tok.Name = s
	}
	switch tv, hv := f["token"], f["sha256"]; {
	case tv != nil && hv != nil:
		p.errorf(hv, "%sgive token or sha256, not both", where)
	case tv == nil && hv == nil:
		p.errorf(n, "%stoken or sha256: missing", where)
	case tv != nil:
		// The value is a secret: messages say what is wrong with it, never what it is.
		if s, ok := p.str(tv, where+"token: "); ok {
			switch {
			case len(s) < MinTokenLength:
				p.errorf(tv, "%stoken: too short (%d characters, at least %d; generate one with: openssl rand -hex 32)", where, len(s), MinTokenLength)
			case len(s) > maxTokenLength:
				p.errorf(tv, "%stoken: too long (%d characters, at most %d)", where, len(s), maxTokenLength)
			case !b64tokenRE.MatchString(s):
				p.errorf(tv, "%stoken: only letters, digits and - . _ ~ + / (then =) can be sent in an Authorization header", where)
			}
			tok.digest, tok.Plain = sha256.Sum256([]byte(s)), true
		}
	default:
		if s, ok := p.str(hv, where+"sha256: "); ok {
			if !hexRE.MatchString(s) {
				p.errorf(hv, "%ssha256: expected 64 hexadecimal digits, the SHA-256 of the token (printf %%s TOKEN | sha256sum), got %d characters", where, len(s))
			} else {
				hex.Decode(tok.digest[:], []byte(s))
			}
		}
	}
	if v := f["roles"]; v == nil {
		p.errorf(n, "%sroles: missing (read, ingest, admin)", where)
	} else if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.errorf(v, "%sroles: expected a non-empty list of read, ingest, admin", where)
	} else {
		for _, rn := range v.Content {
			s, ok := p.str(rn, where+"roles: ")
			if !ok {
				continue
			}
			r, err := ParseRole(s)
			if err != nil {
				p.errorf(rn, "%sroles: %v", where, err)
				continue
			}
			tok.Roles |= r
		}
	}
	if v := f["quota"]; v != nil {
		q := p.fields(v, where+"quota.", "statistics", "streams")
		for name, dst := range map[string]**int{"statistics": &tok.Quota.Statistics, "streams": &tok.Quota.Streams} {
			qn := q[name]
			if qn == nil {
				continue
			}
			k, err := strconv.Atoi(qn.Value)
			if qn.Kind != yaml.ScalarNode || err != nil || k < 0 || k > 1_000_000 {
				p.errorf(qn, "%squota.%s: expected a whole number from 0 to 1000000", where, name)
				continue
			}
			*dst = &k
		}
	}
	return tok, len(p.errs) == before
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.list) }

// Names returns the tokens' names, in file order.
func (t *Tokens) Names() []string {
	out := make([]string, len(t.list))
	for i, tok := range t.list {
		out[i] = tok.Name
	}
	return out
}

// ByName returns the token named name.
func (t *Tokens) ByName(name string) (Token, bool) {
	i, ok := t.byName[name]
	if !ok {
		return Token{}, false
	}
	return t.list[i], true
}

// HasPlain reports whether the file holds a token itself (rather than its SHA-256).
func (t *Tokens) HasPlain() bool {
	for _, tok := range t.list {
		if tok.Plain {
			return true
		}
	}
	return false
}

// Lookup returns the token whose secret is secret. The secret is hashed and compared
// with every token's hash in constant time (all of them, whichever matches), so the
// time taken says nothing about the tokens.
func (t *Tokens) Lookup(secret string) (Token, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range t.list {
		if subtle.ConstantTimeCompare(sum[:], t.list[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Token{}, false
	}
	return t.list[found], true
}

// fingerprint identifies a token's secret (its hash) in a stream ticket, so that a
// ticket dies when its token's secret changes.
func (tok Token) fingerprint() [sha256.Size]byte { return tok.digest }
