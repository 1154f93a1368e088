package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/server/web"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandlerServesTheAssets(t *testing.T) {
	h := web.Handler()
	for path, ct := range map[string]string{
		"/":            "text/html; charset=utf-8",
		"/index.html":  "text/html; charset=utf-8",
		"/app.js":      "text/javascript; charset=utf-8",
		"/style.css":   "text/css; charset=utf-8",
		"/favicon.svg": "image/svg+xml",
	} {
		res := get(t, h, http.MethodGet, path, nil)
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, ct, res.Header.Get("Content-Type"), path)
		require.Equal(t, "no-cache", res.Header.Get("Cache-Control"), path)
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), path)
		require.Regexp(t, `^"[0-9a-f]{24}"$`, res.Header.Get("ETag"), path)
		require.NotEmpty(t, body, path)
	}
	res := get(t, h, http.MethodGet, "/", nil)
	csp := res.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "connect-src 'self'")
}

func TestHandlerRevalidates(t *testing.T) {
	h := web.Handler()
	etag := get(t, h, http.MethodGet, "/app.js", nil).Header.Get("ETag")
	res := get(t, h, http.MethodGet, "/app.js", http.Header{"If-None-Match": {etag}})
	require.Equal(t, http.StatusNotModified, res.StatusCode)
	require.NotEqual(t, etag, get(t, h, http.MethodGet, "/style.css", nil).Header.Get("ETag"), "each file has its own ETag")
}

func TestHandlerRefuses(t *testing.T) {
	h := web.Handler()
	require.Equal(t, http.StatusNotFound, get(t, h, http.MethodGet, "/nope.js", nil).StatusCode)
	require.Equal(t, http.StatusNotFound, get(t, h, http.MethodGet, "/static/app.js", nil).StatusCode)
	res := get(t, h, http.MethodPost, "/", nil)
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	require.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
	res = get(t, h, http.MethodHead, "/style.css", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
}

// The page is self-contained: no external scripts, styles, fonts or images, and every
// asset it names is served.
func TestPageIsSelfContained(t *testing.T) {
	h := web.Handler()
	read := func(path string) string {
		b, err := io.ReadAll(get(t, h, http.MethodGet, path, nil).Body)
		require.NoError(t, err)
		return string(b)
	}
	html := read("/")
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		ref := m[1]
		require.False(t, strings.Contains(ref, "//"), "external reference %q", ref)
		require.Equal(t, http.StatusOK, get(t, h, http.MethodGet, "/"+ref, nil).StatusCode, "asset %q", ref)
	}
	for _, path := range []string{"/app.js", "/style.css"} {
		body := read(path)
		require.NotRegexp(t, `https?://`, body, "%s names no external resource", path)
		require.NotContains(t, body, "@import", path)
	}
	require.Contains(t, html, `aria-live="polite"`, "the connection status is announced")
	require.Equal(t, 1, strings.Count(html, "aria-live"), "only the connection status is live")
}
