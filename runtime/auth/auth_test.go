package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	readTok   = "read-token-0123456789abcdef"
	ingestTok = "ingest-token-0123456789abcdef"
	adminTok  = "admin-token-0123456789abcdef"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// tokensYAML is a tokens file with one token per role (the reader's by its hash).
func tokensYAML() string {
	return "tokens:\n" +
		"  - name: board\n    sha256: " + sha(readTok) + "\n    roles: [read]\n    quota: {streams: 2, statistics: 3}\n" +
		"  - name: feeder\n    token: " + ingestTok + "\n    roles: [ingest]\n" +
		"  - name: ops\n    token: " + adminTok + "\n    roles: [admin]\n"
}

// logBuf is a log destination safe for concurrent handlers.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func newGuard(t *testing.T, opts Options) (*Guard, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	g, err := New(opts)
	require.NoError(t, err)
	return g, logs
}

func TestParseTokens(t *testing.T) {
	tk, err := ParseTokens("t.yaml", []byte(tokensYAML()))
	require.NoError(t, err)
	require.Equal(t, []string{"board", "feeder", "ops"}, tk.Names())
	for secret, name := range map[string]string{readTok: "board", ingestTok: "feeder", adminTok: "ops"} {
		got, ok := tk.Lookup(secret)
		require.True(t, ok)
		require.Equal(t, name, got.Name)
	}
	_, ok := tk.Lookup(readTok + "x")
	require.False(t, ok)
	_, ok = tk.Lookup("")
	require.False(t, ok)
	b, _ := tk.ByName("board")
	require.Equal(t, Read, b.Roles)
	require.Equal(t, 2, *b.Quota.Streams)
	require.Equal(t, 3, *b.Quota.Statistics)
	require.False(t, b.Plain)
	require.True(t, tk.HasPlain())
}

// Every mistake is positioned, and no message shows a token (nor a hash).
func TestParseTokensErrors(t *testing.T) {
	const secret = "SuperSecretToken-ABCDEFGH"
	cases := []struct{ text, want string }{
		{"tokens: []\n", "t.yaml:1:9: tokens: the list is empty"},
		{"tokenz: []\n", `t.yaml:1:1: unknown field "tokenz"`},
		{"tokens:\n  - name: a\n    token: short\n    roles: [read]\n", "t.yaml:3:12: tokens[0].token: too short (5 characters, at least 16"},
		{"tokens:\n  - name: a\n    token: " + secret + "\n    sha256: " + sha(secret) + "\n    roles: [read]\n", "t.yaml:4:13: tokens[0].give token or sha256, not both"},
		{"tokens:\n  - name: a\n    sha256: " + secret + "\n    roles: [read]\n", "t.yaml:3:13: tokens[0].sha256: expected 64 hexadecimal digits"},
		{"tokens:\n  - name: a\n    token: " + secret + "\n    roles: [reed]\n", `t.yaml:4:13: tokens[0].roles: unknown role "reed"`},
		{"tokens:\n  - name: a\n    token: " + secret + "\n", "t.yaml:2:5: tokens[0].roles: missing"},
		{"tokens:\n  - name: a\n    token: " + secret + "\n    roles: [read]\n  - name: a\n    token: " + secret + "X\n    roles: [read]\n", `t.yaml:5:5: tokens[1].name "a" is used twice`},
		{"tokens:\n  - name: a\n    token: " + secret + "\n    roles: [read]\n  - name: b\n    sha256: " + sha(secret) + "\n    roles: [read]\n", `t.yaml:5:5: tokens[1]."b" has the same token as "a"`},
		{"tokens:\n  - name: a\n    token: " + secret + " with space\n    roles: [read]\n", "t.yaml:3:12: tokens[0].token: only letters"},
		{"tokens:\n  - name: a\n    tokn: " + secret + "\n    roles: [read]\n", `t.yaml:3:5: tokens[0].unknown field "tokn"`},
		{"tokens:\n  - name: a\n    token: " + secret + "\n    roles: [read]\n    quota: {streams: -1}\n", "t.yaml:5:22: tokens[0].quota.streams: expected a whole number"},
		{"tokens: [\n", "t.yaml:2:1: did not find expected node content"},
		{"tokens:\n  - name: a\n    " + secret + ": x\n    roles: [read]\n", "(a value of"},
	}
	for _, c := range cases {
		_, err := ParseTokens("t.yaml", []byte(c.text))
		require.Error(t, err, c.text)
		require.Contains(t, err.Error(), c.want, c.text)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), sha(secret))
	}
}

func TestRoles(t *testing.T) {
	require.True(t, Admin.Has(Read|Ingest|Admin))
	require.True(t, Ingest.Has(Read))
	require.False(t, Ingest.Has(Admin))
	require.False(t, Read.Has(Ingest))
	require.Equal(t, "read,ingest", (Read | Ingest).String())
}

// do runs one request through Wrap and Require(role).
func do(g *Guard, role Role, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := FromContext(r.Context())
		w.Header().Set("X-Identity", id.Name+"/"+id.Via)
		w.WriteHeader(http.StatusOK)
	})
	if role != 0 {
		h = g.Require(role, h)
	}
	h = g.Wrap(h)
	r := httptest.NewRequest(method, target, nil)
	r.Host = "statkit.example:8080"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestRequireRoles(t *testing.T) {
	g, logs := newGuard(t, Options{TokensFile: writeFile(t, tokensYAML())})
	cases := []struct {
		tok  string
		role Role
		want int
	}{
		{"", Read, 401}, {"wrong-token-0123456789", Read, 401},
		{readTok, Read, 200}, {readTok, Ingest, 403}, {readTok, Admin, 403},
		{ingestTok, Read, 200}, {ingestTok, Ingest, 200}, {ingestTok, Admin, 403},
		{adminTok, Read, 200}, {adminTok, Ingest, 200}, {adminTok, Admin, 200},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.tok != "" {
			hdr = bearer(c.tok)
		}
		w := do(g, c.role, "GET", "/v1/x", hdr)
		require.Equal(t, c.want, w.Code, "%s %v", c.tok, c.role)
		switch c.want {
		case 401:
			require.Contains(t, w.Header().Get("WWW-Authenticate"), `Bearer realm="statkit"`)
		case 403:
			require.Contains(t, w.Header().Get("WWW-Authenticate"), `insufficient_scope`)
		}
	}
	// Malformed headers.
	for _, h := range []string{"Basic abc", "Bearer", "Bearer "} {
		require.Equal(t, 401, do(g, Read, "GET", "/v1/x", map[string]string{"Authorization": h}).Code, h)
	}
	out := logs.String()
	for _, secret := range []string{readTok, ingestTok, adminTok} {
		require.NotContains(t, out, secret, "a token in the log")
	}
	require.Contains(t, out, `msg="request refused" status=403 reason="role ingest required" token=board`)
	require.Contains(t, out, `msg="request refused" status=401 reason="unknown token" token=-`)
	require.Contains(t, out, `msg="admin action" token=ops action="GET /v1/x"`)
	require.Equal(t, 1+1+3, strings.Count(out, "status=401"), "every 401 logged")
}

// Without tokens every request is the anonymous identity with every role.
func TestNoTokens(t *testing.T) {
	g, _ := newGuard(t, Options{})
	w := do(g, Admin, "POST", "/v1/config/reload", nil)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "anonymous/none", w.Header().Get("X-Identity"))
}

func TestOriginAndCORS(t *testing.T) {
	g, logs := newGuard(t, Options{TokensFile: writeFile(t, tokensYAML()), CORSOrigins: []string{"https://intranet.example", "http://[::1]:3000"}})
	cases := []struct {
		method, origin, site string
		want                 int
		cors                 bool
	}{
		{"POST", "", "", 200, false},
		{"POST", "http://statkit.example:8080", "", 200, false}, // same origin
		{"POST", "https://statkit.example:8080", "", 200, false},
		{"POST", "http://statkit.example:9090", "", 403, false}, // another port
		{"POST", "https://evil.example", "", 403, false},
		{"DELETE", "https://evil.example", "", 403, false},
		{"POST", "null", "", 403, false},
		{"POST", "https://intranet.example", "", 200, true},
		{"POST", "https://INTRANET.example:443", "", 200, true},
		{"POST", "http://[::1]:3000", "", 200, true},
		{"GET", "https://evil.example", "", 200, false}, // reads pass; CORS keeps the answer from the page
		{"GET", "https://intranet.example", "", 200, true},
		{"POST", "", "cross-site", 403, false},
		{"POST", "", "same-origin", 200, false},
	}
	for _, c := range cases {
		hdr := bearer(adminTok)
		if c.origin != "" {
			hdr["Origin"] = c.origin
		}
		if c.site != "" {
			hdr["Sec-Fetch-Site"] = c.site
		}
		w := do(g, Read, c.method, "/v1/x", hdr)
		require.Equal(t, c.want, w.Code, "%+v", c)
		if c.cors {
			require.Equal(t, c.origin, w.Header().Get("Access-Control-Allow-Origin"), "%+v", c)
		} else {
			require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), "%+v", c)
		}
	}
	require.Contains(t, logs.String(), "cross-origin request from an origin not allowed")

	// Preflights: answered for listed origins without credentials, refused for others.
	w := do(g, Read, "OPTIONS", "/v1/statistics", map[string]string{"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"})
	require.Equal(t, 204, w.Code)
	require.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
	require.Equal(t, "https://intranet.example", w.Header().Get("Access-Control-Allow-Origin"))
	w = do(g, Read, "OPTIONS", "/v1/statistics", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	require.Equal(t, 403, w.Code)
	require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	_, err := New(Options{CORSOrigins: []string{"https://x.example/path"}})
	require.ErrorContains(t, err, "no path")
	fa, err := FrameAncestors([]string{"https://Intranet.example:443"})
	require.NoError(t, err)
	require.Equal(t, "'self' https://intranet.example", fa)
	fa, _ = FrameAncestors(nil)
	require.Equal(t, "'none'", fa)
}

func TestTickets(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	path := writeFile(t, tokensYAML())
	g, logs := newGuard(t, Options{TokensFile: path, Now: clock})
	issue := func(tok string) string {
		h := g.Wrap(g.Require(Read, http.HandlerFunc(g.IssueTicket)))
		r := httptest.NewRequest("POST", "/v1/stream/ticket", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, 200, w.Code)
		var body struct {
			Ticket    string `json:"ticket"`
			ExpiresIn int    `json:"expiresIn"`
			Stream    string `json:"stream"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
		require.Equal(t, 60, body.ExpiresIn)
		require.Equal(t, "/v1/stream?ticket="+body.Ticket, body.Stream)
		require.Len(t, body.Ticket, 22) // 128 bits, base64url
		return body.Ticket
	}
	tk := issue(readTok)
	w := do(g, Read, "GET", "/v1/stream?ticket="+tk, nil)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "board/ticket", w.Header().Get("X-Identity"))
	require.Equal(t, 401, do(g, Read, "GET", "/v1/stream?ticket="+tk, nil).Code, "single use")
	require.Equal(t, 401, do(g, Read, "GET", "/v1/stream?ticket=nonsense", nil).Code)
	// Only on the stream, only GET.
	tk = issue(adminTok)
	require.Equal(t, 401, do(g, Read, "GET", "/v1/statistics?ticket="+tk, nil).Code)
	require.Equal(t, 200, do(g, Read, "GET", "/v1/stream?ticket="+tk, nil).Code, "the ticket was not used up elsewhere")
	// Expiry.
	tk = issue(readTok)
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	w = do(g, Read, "GET", "/v1/stream?ticket="+tk, nil)
	require.Equal(t, 401, w.Code)
	require.Contains(t, w.Body.String(), "expired")
	// A token removed by a reload cannot use its tickets.
	tk = issue(readTok)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(tokensYAML(), sha(readTok), sha(readTok+"-new"), 1)), 0o600))
	require.NoError(t, g.Reload())
	w = do(g, Read, "GET", "/v1/stream?ticket="+tk, nil)
	require.Equal(t, 401, w.Code)
	require.NotContains(t, logs.String(), tk[:10]+"x") // (tickets are not logged either)
	// At most maxTicketsPerToken unused tickets per token.
	for range maxTicketsPerToken {
		issue(adminTok)
	}
	h := g.Wrap(g.Require(Read, http.HandlerFunc(g.IssueTicket)))
	r := httptest.NewRequest("POST", "/v1/stream/ticket", nil)
	r.Header.Set("Authorization", "Bearer "+adminTok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, 429, rec.Code)
}

// Streams count against the quota (429 with the cap past it), are given back when they
// end, and end when a reload revokes their token.
func TestStreamQuotaAndRevocation(t *testing.T) {
	path := writeFile(t, tokensYAML())
	g, _ := newGuard(t, Options{TokensFile: path})
	started, ended := make(chan struct{}, 10), make(chan struct{}, 10)
	stream := g.Wrap(g.Require(Read, g.LimitStreams(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		ended <- struct{}{}
	}))))
	srv := httptest.NewServer(stream)
	defer srv.Close()
	open := func(tok string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/stream", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return http.DefaultClient.Do(req)
	}
	var bodies []io.Closer
	for range 2 { // board's quota is 2
		res, err := open(readTok)
		require.NoError(t, err)
		require.Equal(t, 200, res.StatusCode)
		bodies = append(bodies, res.Body)
		<-started
	}
	res, err := open(readTok)
	require.NoError(t, err)
	require.Equal(t, 429, res.StatusCode)
	var body map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	res.Body.Close()
	require.Equal(t, "streams", body["quota"])
	require.Equal(t, 2.0, body["limit"])
	// Another token has its own quota.
	res, err = open(adminTok)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	<-started
	// Closing one gives its place back.
	bodies[0].Close()
	<-ended
	require.Eventually(t, func() bool {
		res, err := open(readTok)
		if err != nil || res.StatusCode != 200 {
			if res != nil {
				res.Body.Close()
			}
			return false
		}
		bodies[0] = res.Body
		<-started
		return true
	}, 5*time.Second, 10*time.Millisecond)
	// Revoking board (its roles change) ends its two streams, not ops's.
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(tokensYAML(), "roles: [read]", "roles: [ingest]", 1)), 0o600))
	require.NoError(t, g.Reload())
	for range 2 {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a revoked token's stream did not end")
		}
	}
	select {
	case <-ended:
		t.Fatal("the admin's stream ended too")
	case <-time.After(50 * time.Millisecond):
	}
	res.Body.Close()
	for _, b := range bodies {
		b.Close()
	}
}

// A tokens file that no longer loads leaves the tokens in use.
func TestReloadKeepsTokensOnError(t *testing.T) {
	path := writeFile(t, tokensYAML())
	g, _ := newGuard(t, Options{TokensFile: path})
	require.NoError(t, os.WriteFile(path, []byte("tokens:\n  - name: x\n    token: tooshort\n    roles: [read]\n"), 0o600))
	err := g.Reload()
	require.ErrorContains(t, err, "tokens.yaml:3:12: tokens[0].token: too short")
	require.NotContains(t, err.Error(), "tooshort")
	require.Equal(t, 200, do(g, Read, "GET", "/v1/x", bearer(readTok)).Code)
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`c.yaml:3:1: unknown field "api_key"`:                         `c.yaml:3:1: unknown field "api_key"`,
		`c.yaml:1:1: unknown field "root:x:0:0:root:/root:/bin/bash"`: `c.yaml:1:1: unknown field (a value of 31 bytes, not shown)`,
		"cannot unmarshal !!str `hunter2 is my password` into x":      "cannot unmarshal !!str (a value of 22 bytes, not shown) into x",
		`unknown stat type "` + strings.Repeat("A", 65) + `"`:         `unknown stat type (a value of 65 bytes, not shown)`,
		`say 'a b' and 'ok'`: `say (a value of 3 bytes, not shown) and 'ok'`,
		`escaped "a\"b"`:     `escaped (a value of 3 bytes, not shown)`,
	} {
		require.Equal(t, want, RedactMessage(in), in)
	}
	got := RedactFileErrors([]string{"/etc/statkit/cc.yaml:2:3: bad", "/etc/statkit/cc.yaml: open /var/lib/x/y.log: denied",
		"conf/cc.yaml:1:1: x", "../a/b.yaml:1:1: y", "cc.yaml:3:4: unknown field \"/etc/passwd\"", "ratio 1/2 of a/b"})
	require.Equal(t, []string{"cc.yaml:2:3: bad", "cc.yaml: open y.log: denied", "cc.yaml:1:1: x", "b.yaml:1:1: y",
		"cc.yaml:3:4: unknown field (a value of 11 bytes, not shown)", "ratio 2 of b"}, got)
	require.Len(t, NewErrorID(), 12)
	require.NotEqual(t, NewErrorID(), NewErrorID())
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "192.168.1.5:8080": false,
		"example.com:80": false, "nonsense": false,
	} {
		require.Equal(t, want, Loopback(addr), addr)
	}
}

func TestCheckID(t *testing.T) {
	require.NoError(t, CheckID("statistic", "s-12"))
	require.ErrorContains(t, CheckID("statistic", strings.Repeat("x", MaxIDBytes+1)), "257 bytes, at most 256")
	require.ErrorContains(t, CheckID("statistic", "a\nb"), "control character")
	require.Error(t, CheckID("statistic", ""))
}

// genCert writes a self-signed certificate for host (and its key) and returns the
// certificate's serial number.
func genCert(t *testing.T, certFile, keyFile string, serial int64, host string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
}

// The certificate reloads: new handshakes get the new one; a pair that does not load
// leaves the old one.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	genCert(t, cf, kf, 1, "localhost")
	c, err := LoadCertificate(cf, kf)
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.Config())
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { conn.(*tls.Conn).Handshake(); conn.Close() }()
		}
	}()
	serial := func() int64 {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		require.NoError(t, err)
		defer conn.Close()
		require.Equal(t, uint16(tls.VersionTLS13), conn.ConnectionState().Version)
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	require.Equal(t, int64(1), serial())
	genCert(t, cf, kf, 2, "localhost")
	require.Equal(t, int64(1), serial(), "not before Reload")
	require.NoError(t, c.Reload())
	require.Equal(t, int64(2), serial())
	require.NoError(t, os.WriteFile(kf, []byte("not a key"), 0o600))
	require.Error(t, c.Reload())
	require.Equal(t, int64(2), serial(), "a bad pair leaves the old one")
	_, err = tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	require.Error(t, err, "TLS 1.1 is refused")
}

// Without tokens on loopback, a request addressed to another name (a page whose name was
// rebound to 127.0.0.1) is refused; with tokens, the Host does not matter.
func TestLocalHostOnly(t *testing.T) {
	g, logs := newGuard(t, Options{LocalHostOnly: true})
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "LOCALHOST": 200, "board.localhost:8080": 200,
		"evil.example:8080": 403, "192.168.1.5:8080": 403, "localhost.evil.example": 403, "": 403,
	} {
		h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
		r := httptest.NewRequest("GET", "/v1/config", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, want, w.Code, host)
	}
	require.Contains(t, logs.String(), "DNS rebinding")
	g, _ = newGuard(t, Options{LocalHostOnly: true, TokensFile: writeFile(t, tokensYAML())})
	w := do(g, Read, "GET", "/v1/x", bearer(readTok)) // Host statkit.example:8080
	require.Equal(t, 200, w.Code)
}
