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
// asset it names is served — the scripts the page loads, and the modules they import.
func TestPageIsSelfContained(t *testing.T) {
	h := web.Handler()
	read := func(path string) string {
		res := get(t, h, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, "asset %q", path)
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	html := read("/")
	var scripts []string
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		ref := m[1]
		require.False(t, strings.Contains(ref, "//"), "external reference %q", ref)
		read("/" + ref)
		if strings.HasSuffix(ref, ".js") {
			scripts = append(scripts, "/"+ref)
		}
	}
	require.Equal(t, []string{"/app.js"}, scripts, "the page loads one entry module")
	// The modules, from the entry through their imports: all served, none external.
	imports := regexp.MustCompile(`(?m)^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"`)
	seen := map[string]bool{}
	for len(scripts) > 0 {
		path := scripts[0]
		scripts = scripts[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		body := read(path)
		// The SVG namespace is a name, not a resource.
		require.NotRegexp(t, `https?://`, strings.ReplaceAll(body, `"http://www.w3.org/2000/svg"`, ""), "%s names no external resource", path)
		for _, m := range imports.FindAllStringSubmatch(body, -1) {
			require.True(t, strings.HasPrefix(m[1], "./"), "%s imports %q: only the page's own modules", path, m[1])
			scripts = append(scripts, "/"+strings.TrimPrefix(m[1], "./"))
		}
	}
	require.Greater(t, len(seen), 3, "the entry imports the other modules: %v", seen)
	css := read("/style.css")
	require.NotRegexp(t, `https?://`, css)
	require.NotContains(t, css, "@import")
	require.Contains(t, html, `id="conn" class="conn" data-state="connecting" role="status" aria-live="polite"`, "the connection status is announced")
	require.Contains(t, html, `id="toasts" class="toasts" role="log" aria-live="polite"`, "alerts are announced")
	require.Equal(t, 2, strings.Count(html, "aria-live"), "only the connection status and the alerts are live, not every value")
}
