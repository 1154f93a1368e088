package server

import (
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/server/web"
)

// Access control (runtime/auth wired into the routes).
//
// Every request goes through Options.Guard's Wrap (security headers, CORS, the Origin
// check of state-changing requests, authentication), then each route requires a role:
//
//	GET  /healthz, GET / (the wallboard's files)            open
//	GET  /v1/openapi.json, /v1/openapi.yaml                open (the API's description)
//	GET  /metrics                                          read (open with MetricsPublic)
//	GET  /v1/config, /v1/actions, /v1/statistics[/{id}]     read
//	GET  /v1/values                                        read
//	GET  /v1/stream                                        read, within the streams quota
//	POST /v1/stream/ticket                                 read: a ticket for EventSource
//	POST /v1/statistics                                    read, within the statistics quota;
//	                                                       the statistic is the token's
//	DELETE /v1/statistics/{id}                             read for the token's own, admin
//	                                                       for others' and the config's
//	POST /v1/events                                        ingest
//	POST /v1/config/reload                                 admin (the config, the tokens
//	                                                       file and the TLS certificate)
//	any other /v1/ path                                    read (then 404/405)
//
// Without a tokens file the guard lets everyone do everything (the Origin check still
// applies); statkit serve allows that only on a loopback address unless --insecure.

// require serves h to identities with role.
func (s *Server) require(role auth.Role, h http.HandlerFunc) http.Handler {
	return s.guard.Require(role, h)
}

// metricsHandler serves /metrics under the read role unless MetricsPublic.
func (s *Server) metricsHandler() http.Handler {
	h := promHandler(s.m)
	if s.opts.MetricsPublic {
		return h
	}
	return s.guard.Require(auth.Read, h)
}

// webHandler serves the wallboard's files (open: they hold no data; the page
// authenticates its API calls).
func (s *Server) webHandler() (http.Handler, error) {
	fa, err := auth.FrameAncestors(s.opts.FrameAncestors)
	if err != nil {
		return nil, err
	}
	return s.readOnly(web.NewHandler(web.Options{FrameAncestors: fa})), nil
}

// identity returns the request's identity (Wrap always sets one on guarded routes).
func identity(r *http.Request) *auth.Identity {
	if id := auth.FromContext(r.Context()); id != nil {
		return id
	}
	return &auth.Identity{Name: "anonymous", Anonymous: true, Roles: auth.AllRoles,
		Quota: auth.Quota{Statistics: auth.DefaultStatisticsQuota, Streams: auth.DefaultStreamsQuota}}
}

// ownedBy counts the statistics opened through the API by owner (owner goroutine).
func (o *owner) ownedBy(name string) int {
	n := 0
	for _, st := range o.mach.Statistics() {
		if by, api := o.mach.API(st.ID); api && by == name {
			n++
		}
	}
	return n
}

// lockOpens serializes the opens of one owner (count, then open) and returns the
// unlock.
func (s *Server) lockOpens(owner string) func() {
	mu, _ := s.openLocks.LoadOrStore(owner, &sync.Mutex{})
	m := mu.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}

// mayClose says whether the identity may close statistic id (owner goroutine): its own
// API statistics with read, any other (another token's, the config's) with admin. It
// returns the statistic's owner for the log ("" for the config's or an anonymous one)
// and whether closing takes the admin role.
func (o *owner) mayClose(statID string, id *auth.Identity) (owner string, admin bool, err error) {
	if _, open := o.mach.Statistic(statID); !open {
		return "", false, engine.ErrUnknownStatistic
	}
	by, api := o.mach.API(statID)
	if api && by == id.Owner {
		return by, false, nil
	}
	if !id.Can(auth.Admin) {
		if api {
			return by, true, errForbidden("statistic " + statID + " was opened by another token; closing it needs the admin role")
		}
		return "", true, errForbidden("statistic " + statID + " comes from the config; closing it needs the admin role")
	}
	return by, true, nil
}

// errForbidden is a request the identity's roles do not allow (403).
type errForbidden string

func (e errForbidden) Error() string { return string(e) }

// forbidden answers 403 and logs it with the token's name.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	id := identity(r)
	s.log.Warn("request refused", "status", http.StatusForbidden, "reason", msg, "token", id.Name,
		"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Bearer realm="statkit", error="insufficient_scope"`)
	s.writeError(w, http.StatusForbidden, msg)
}

// checkIDs refuses ids a client sends that are too long or hold control characters
// (400); it reports whether they are fine.
func (s *Server) checkIDs(w http.ResponseWriter, what string, ids ...string) bool {
	for _, id := range ids {
		if err := auth.CheckID(what, id); err != nil {
			s.writeError(w, http.StatusBadRequest, err.Error())
			return false
		}
	}
	return true
}

// maxStreamIDs bounds the statistics one stream request names.
const maxStreamIDs = 4096

// internalError logs an internal error under a new id and returns the message an
// answer gives instead: the id, never the error (which may name files).
func (s *Server) internalError(msg string) string {
	id := auth.NewErrorID()
	s.log.Error("internal error", "errorId", id, "err", msg)
	return "internal error (errorId " + id + "; the server's log has the details)"
}

// postReloadGuarded handles POST /v1/config/reload (admin): the config, then the tokens
// file and the TLS certificate when the server has them. 200 with what changed; 400
// {error, errors} when a file is refused (what is running stays), its errors positioned
// (file:line:col) and redacted: the file by its base name, no content beyond a
// name-like offending token.
func (s *Server) postReloadGuarded(w http.ResponseWriter, r *http.Request) {
	res, err := s.Reload(r.Context())
	var re *ReloadError
	switch {
	case errors.As(err, &re):
		s.log.Error("config reload refused; the running config stays", "err", re.Error())
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "config refused; the running config stays",
			"errors": auth.RedactFileErrors(re.Errors)})
		return
	case err != nil:
		s.ownerError(w, err)
		return
	}
	var refused []string
	if err := s.guard.Reload(); err != nil {
		s.log.Error("tokens file reload refused; the tokens in use stay", "err", err)
		refused = append(refused, strings.Split(err.Error(), "\n")...)
	}
	if s.opts.ReloadTLS != nil {
		if err := s.opts.ReloadTLS(); err != nil {
			s.log.Error("TLS certificate reload refused; the certificate in use stays", "err", err)
			refused = append(refused, err.Error())
		}
	}
	if len(refused) > 0 {
		s.writeJSON(w, http.StatusBadRequest, map[string]any{"error": "config reloaded, but a security file was refused; it stays as it was",
			"config": res, "errors": auth.RedactFileErrors(refused)})
		return
	}
	s.writeJSON(w, http.StatusOK, res)
}

// streamTicket handles POST /v1/stream/ticket.
func (s *Server) streamTicket(w http.ResponseWriter, r *http.Request) { s.guard.IssueTicket(w, r) }
