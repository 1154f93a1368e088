// Package web holds the statkit wallboard: a static page (index.html, style.css,
// favicon.svg and the JavaScript modules app.js — the entry — core.js, format.js,
// spark.js, board.js, agents.js and auto.js; no build step, no external resources)
// embedded in the binary and served by Handler. The page talks to the server's JSON API
// under /v1 (config, wallboards, statistics, stream, trends, clock, history) from the
// same origin, with the session's bearer token when the server asks for one.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes maps the extensions the page uses to their media types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// csp allows only same-origin scripts, styles, images and connections (the API and the
// SSE stream); frame-ancestors follows (FrameAncestors, none by default).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors "

// Options configure the wallboard's handler.
type Options struct {
	// FrameAncestors is the CSP frame-ancestors source list: which pages may embed the
	// wallboard ("" or "'none'": none, and X-Frame-Options: DENY as well).
	FrameAncestors string
}

// Handler serves the wallboard with the default Options (no embedding).
func Handler() http.Handler { return NewHandler(Options{}) }

// NewHandler serves the wallboard: the page at "/" (and "/index.html") and its assets by
// name. Responses carry an explicit Content-Type, a strong ETag (conditional requests
// answer 304) and Cache-Control: no-cache, so a browser revalidates and picks up a new
// server version at once. Methods other than GET and HEAD get 405; other paths 404.
func NewHandler(opts Options) http.Handler {
	ancestors := opts.FrameAncestors
	if ancestors == "" {
		ancestors = "'none'"
	}
	policy := csp + ancestors
	assets := make(map[string]*asset)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		assets["/"+strings.TrimPrefix(p, "static/")] = &asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("web: reading embedded files: " + err.Error()) // impossible: the files are embedded
	}
	assets["/"] = assets["/index.html"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(a.contentType, "text/html") {
			h.Set("Content-Security-Policy", policy)
			h.Set("Referrer-Policy", "no-referrer")
			if ancestors == "'none'" {
				h.Set("X-Frame-Options", "DENY")
			}
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}
