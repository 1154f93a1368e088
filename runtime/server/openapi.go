package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/apispec"
)

// The OpenAPI description (docs/openapi.yaml) is read by package apispec at New; this
// file is the glue that serves it and enforces what it declares of query parameters.

// apiMux is the server's request multiplexer: an http.ServeMux whose handlers answer a
// request with a query parameter their operation does not declare in the OpenAPI
// description with 400 (checkQuery). Routes are registered as on an http.ServeMux.
type apiMux struct {
	*http.ServeMux
	s *Server
}

// Handle registers h for pattern, behind the query check.
func (m apiMux) Handle(pattern string, h http.Handler) {
	m.s.patterns = append(m.s.patterns, pattern)
	m.ServeMux.Handle(pattern, m.s.checkQuery(pattern, h))
}

// HandleFunc registers h for pattern, behind the query check.
func (m apiMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// checkQuery wraps the handler of mux pattern so that a query parameter the OpenAPI
// description does not declare for the pattern's path and the request's method is
// answered 400, naming it and the nearest declared one. Subtree patterns ("/", "/v1/":
// the wallboard's files, whose page reads its own query, and the 404 answers) and paths
// the description does not have are not checked — a test checks that every route is
// described.
func (s *Server) checkQuery(pattern string, h http.Handler) http.Handler {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	ops := s.api.Query(path)
	if strings.HasSuffix(path, "/") || ops == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			h.ServeHTTP(w, r)
			return
		}
		m := method
		if m == "" || m == http.MethodGet && r.Method == http.MethodHead {
			m = r.Method
		}
		if m == http.MethodHead {
			m = http.MethodGet
		}
		allowed, ok := ops[m]
		if !ok { // a method the description does not have: the handler answers it
			h.ServeHTTP(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.writeError(w, http.StatusBadRequest, "bad query string: "+err.Error())
			return
		}
		if msg := apispec.UnknownParams(q, allowed, m+" "+path); msg != "" {
			s.writeError(w, http.StatusBadRequest, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveDoc serves a document of the API description with its media type.
func (s *Server) serveDoc(body []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}
}
