package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/sim"
)

// startServe runs `statkit serve args…` until the test ends and returns the URL it
// prints (http or https) and its stderr.
func startServe(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	url, stderr, _ := startServeStop(t, args...)
	return url, stderr
}

// startServeStop is startServe that also returns a function stopping serve (as SIGTERM
// does) and waiting for it; the test's end stops it otherwise.
func startServeStop(t *testing.T, args ...string) (string, *lockedBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args, &stdout, &stderr) }()
	var stopped bool
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "stderr:\n%s", stderr.String())
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(stop)
	re := regexp.MustCompile(`(https?://(?:127\.0\.0\.1|localhost):\d+/)\n`)
	var url string
	require.Eventually(t, func() bool {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			return true
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve ended: %v\nstderr:\n%s", err, stderr.String())
		default:
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "stdout: %q, stderr:\n%s", stdout.String(), &stderr)
	return url, &stderr, stop
}

// simConfigFile writes a simulated contact center's config and returns its path.
func simConfigFile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "cc.yaml")
	var b bytes.Buffer
	require.NoError(t, sim.WriteConfig(&b, sim.Config{Agents: 3, Queues: 1}))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

// Without --addr serve listens on loopback only; beyond it, it needs --tokens or
// --insecure (exit 2, both named).
func TestServeListenDefaults(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--help"}, &stdout, &stderr)
	require.Equal(t, 0, code)
	require.Contains(t, stdout.String()+stderr.String(), `(default "127.0.0.1:8080")`)

	dir := t.TempDir()
	cfg := simConfigFile(t, dir)
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0"} {
		stderr.Reset()
		code = run(context.Background(), []string{"serve", "--config", cfg, "--addr", addr}, io.Discard, &stderr)
		require.Equal(t, 2, code, addr)
		require.Contains(t, stderr.String(), "--tokens", addr)
		require.Contains(t, stderr.String(), "--insecure", addr)
	}
	// On loopback without tokens, only requests addressed to this machine are answered
	// (a page whose name was rebound to 127.0.0.1 is not).
	local, logs := startServe(t, "--config", cfg, "--addr", "127.0.0.1:0")
	req, _ := http.NewRequest("POST", local+"v1/config/reload", nil)
	req.Host = "rebound.evil.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 403, resp.StatusCode)
	require.Contains(t, logs.String(), "DNS rebinding")
	// --insecure serves beyond the machine anyway, with a warning.
	_, logs = startServe(t, "--config", cfg, "--addr", "127.0.0.1:0", "--insecure")
	require.NotContains(t, logs.String(), "beyond this machine") // loopback: nothing to warn about
	url, logs := startServe(t, "--config", cfg, "--addr", ":0", "--insecure")
	require.Contains(t, logs.String(), "serving without authentication beyond this machine")
	resp, err = http.Get(url + "v1/config")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

// writeCert writes a self-signed certificate for 127.0.0.1 and localhost, and returns
// it for the client's trust.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "statkit test"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// HTTPS with a generated certificate and tokens; the certificate reloads on SIGHUP and
// on POST /v1/config/reload.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cfg := simConfigFile(t, dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert1 := writeCert(t, certFile, keyFile, 1)
	const admin = "admin-token-0123456789abcdef"
	sum := sha256.Sum256([]byte(admin))
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte("tokens:\n  - {name: ops, sha256: "+hex.EncodeToString(sum[:])+", roles: [admin]}\n"), 0o600))

	url, logs := startServe(t, "--config", cfg, "--addr", "127.0.0.1:0", "--tokens", tokens, "--tls-cert", certFile, "--tls-key", keyFile)
	require.True(t, strings.HasPrefix(url, "https://127.0.0.1:"), url)
	// The client trusts exactly the certificate it expects.
	clientFor := func(c *x509.Certificate) *http.Client {
		pool := x509.NewCertPool()
		pool.AddCert(c)
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	get := func(c *http.Client, tok string) (int, string) {
		req, _ := http.NewRequest("GET", url+"v1/config", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode, resp.Proto
	}
	code, proto := get(clientFor(cert1), admin)
	require.Equal(t, 200, code)
	require.Equal(t, "HTTP/1.1", proto) // (the client asked for HTTP/1.1; HTTP/2 is offered too)
	code, _ = get(clientFor(cert1), "")
	require.Equal(t, 401, code)
	resp, err := http.Get(strings.Replace(url, "https", "http", 1) + "healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode, "plain HTTP on the TLS port is refused")

	// SIGHUP: the new certificate serves new connections.
	cert2 := writeCert(t, certFile, keyFile, 2)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", url+"healthz", nil)
		resp, err := clientFor(cert2).Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond, "logs:\n%s", logs)
	_, err = clientFor(cert1).Get(url + "healthz")
	require.Error(t, err, "the old certificate is no longer served")

	// POST /v1/config/reload (admin) reloads it too; a bad pair is refused, redacted.
	cert3 := writeCert(t, certFile, keyFile, 3)
	req, _ := http.NewRequest("POST", url+"v1/config/reload", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err = clientFor(cert2).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	code, _ = get(clientFor(cert3), admin)
	require.Equal(t, 200, code)
	require.NoError(t, os.WriteFile(keyFile, []byte("not a key"), 0o600))
	req, _ = http.NewRequest("POST", url+"v1/config/reload", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err = clientFor(cert3).Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	require.NotContains(t, string(b), dir)
	require.Contains(t, string(b), "key.pem")
	code, _ = get(clientFor(cert3), admin)
	require.Equal(t, 200, code, "the certificate in use stays")
	require.NotContains(t, logs.String(), admin)
}

// A damaged data directory: serve refuses to start (exit 1), says what is lost and
// names --recover-lossy; with it, serve starts from what is consistent.
func TestServeRecoverLossy(t *testing.T) {
	dir := t.TempDir()
	cfg := simConfigFile(t, dir)
	data := filepath.Join(dir, "data")
	args := []string{"--config", cfg, "--addr", "127.0.0.1:0", "--tick", "0", "--data", data}
	url, _, stop := startServeStop(t, args...)
	for i := range 5 {
		resp, err := http.Post(url+"v1/events", "application/x-ndjson", strings.NewReader(fmt.Sprintf(
			`{"time":"2026-11-26T09:00:0%dZ","action":"CallEntered","source":{"class":"mediation_dn","id":"Q1@SW1"},"interaction":"c-%d"}`+"\n", i, i)))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
	}
	stop()
	// A bit flips in the third batch's record; the snapshots that cover it are gone.
	recs := readLog(t, data)
	var batches []logRecord
	for _, r := range recs {
		if r.payload[0] == 'B' || r.payload[0] == 'E' { // a batch (ingest's kind, or the older one)
			batches = append(batches, r)
		}
	}
	require.Equal(t, 5, len(batches), "batch records")
	bad, last := batches[2], recs[len(recs)-1]
	b, err := os.ReadFile(bad.path)
	require.NoError(t, err)
	b[bad.off+bad.head+3] ^= 0x20
	require.NoError(t, os.WriteFile(bad.path, b, 0o600))
	snaps, _ := filepath.Glob(filepath.Join(data, "*.snap"))
	for _, p := range snaps {
		var seq uint64
		fmt.Sscanf(filepath.Base(p), "%020d.snap", &seq)
		if seq >= bad.seq {
			require.NoError(t, os.Remove(p))
		}
	}

	var stderr bytes.Buffer
	code := run(context.Background(), append([]string{"serve"}, args...), io.Discard, &stderr)
	require.Equal(t, 1, code, "stderr:\n%s", stderr.String())
	msg := stderr.String()
	require.Contains(t, msg, fmt.Sprintf("record %d are lost: %s is damaged at offset %d", bad.seq, bad.path, bad.off))
	require.Contains(t, msg, fmt.Sprintf("records %d–%d (%d) are intact but follow missing records", bad.seq+1, last.seq, last.seq-bad.seq))
	require.Contains(t, msg, fmt.Sprintf("--recover-lossy to start from record %d", bad.seq-1))
	require.Contains(t, msg, "appended between ")

	url, logs := startServe(t, append(args, "--recover-lossy")...)
	require.Contains(t, logs.String(), "started lossily")
	// (Events may wait for the reorder window's flush by wall time: about 2 s.)
	require.Eventually(t, func() bool {
		var p struct{ Value float64 }
		getJSON(t, url+"v1/statistics/Q1@SW1.CallsEntered", &p)
		return p.Value == 2
	}, 10*time.Second, 20*time.Millisecond, "the batches before the damage, and only them; logs:\n%s", logs)
	lost, _ := filepath.Glob(filepath.Join(data, "lost-*", "*"))
	require.NotEmpty(t, lost, "what was dropped is kept aside")
}

// A shutdown that does not finish (Serve stuck on a frozen disk) is given up on after
// the grace period, with an error (serve exits non-zero).
func TestWaitServed(t *testing.T) {
	done := make(chan struct{})
	served := make(chan error)
	res := make(chan error, 1)
	go func() { res <- waitServed(done, served, 50*time.Millisecond) }()
	select {
	case <-res:
		t.Fatal("returned before the context ended")
	case <-time.After(100 * time.Millisecond):
	}
	close(done)
	select {
	case err := <-res:
		require.ErrorIs(t, err, errShutdownStuck)
	case <-time.After(5 * time.Second):
		t.Fatal("did not give up")
	}
	served2 := make(chan error, 1)
	served2 <- nil
	require.NoError(t, waitServed(done, served2, time.Hour))
}
