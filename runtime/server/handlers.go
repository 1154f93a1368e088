package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/machine"
)

// errorJSON is the body of every error response.
type errorJSON struct {
	Error string `json:"error"`
	// Problems lists the problems of each field of a refused statistic.
	Problems []problemJSON `json:"problems,omitempty"`
}

// problemJSON is one field problem of a refused statistic.
type problemJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// writeJSON writes v as the JSON body of a status response.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encoding a response", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes {"error": msg} with status; a 500's message is logged under an
// error id and the answer carries only the id (auth.go).
func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusInternalServerError {
		msg = s.internalError(msg)
	}
	s.writeJSON(w, status, errorJSON{Error: msg})
}

// ownerError answers a request whose work did not reach the engine: ErrStopped is 503;
// a request context that ended (client gone, shutdown) gets no answer worth writing.
func (s *Server) ownerError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrFailed):
		s.writeError(w, http.StatusServiceUnavailable, failureText(err))
	case errors.Is(err, ErrStopped):
		s.writeError(w, http.StatusServiceUnavailable, "server is shutting down")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.writeError(w, http.StatusServiceUnavailable, "request ended before the engine answered")
	default:
		s.writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// statisticRequest is the body of POST /v1/statistics.
type statisticRequest struct {
	StatType     string                  `json:"statType"`
	Object       config.ObjectSpec       `json:"object"`
	Profile      string                  `json:"profile"`
	TimeRange    string                  `json:"timeRange"`
	Filter       string                  `json:"filter"`
	Notification config.NotificationSpec `json:"notification"`
}

// postStatistic handles POST /v1/statistics: the statistic is checked against the config
// as the config loader checks its statistics section (in the request's goroutine), then
// opened by the owner under a new id "s-N". Answers 201 {id}.
func (s *Server) postStatistic(w http.ResponseWriter, r *http.Request) {
	var req statisticRequest
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, maxStatisticBody), &req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxStatisticBody))
			return
		}
		s.writeError(w, http.StatusBadRequest, "bad statistic JSON: "+err.Error())
		return
	}
	if !s.checkIDs(w, "object.id", req.Object.ID) {
		return
	}
	st, err := s.cfg.Load().NewStatistic(config.StatisticSpec{
		StatType: req.StatType, Object: req.Object, Profile: req.Profile,
		TimeRange: req.TimeRange, Filter: req.Filter, Notification: req.Notification,
	})
	if err != nil {
		body := errorJSON{Error: "bad statistic: " + err.Error()}
		var se *config.SpecError
		if errors.As(err, &se) {
			for _, p := range se.Problems {
				body.Problems = append(body.Problems, problemJSON{Field: p.Field, Message: p.Msg})
			}
		}
		s.writeJSON(w, http.StatusBadRequest, body)
		return
	}
	if err := s.failed(); err != nil {
		s.writeError(w, http.StatusServiceUnavailable, failureText(err))
		return
	}
	// The statistic is the token's, within its quota: one open at a time per owner, so
	// that the count and the open are not raced by the owner's other requests.
	who := identity(r)
	defer s.lockOpens(who.Owner)()
	var owned int
	if err := s.do(r.Context(), func(o *owner) { owned = o.ownedBy(who.Owner) }); err != nil {
		s.ownerError(w, err)
		return
	}
	if owned >= who.Quota.Statistics {
		s.guard.WriteQuota(w, r, who, &auth.QuotaError{What: "statistics", Limit: who.Quota.Statistics})
		return
	}
	p := newPending()
	p.dec.Statistic = st
	if _, _, err := s.appendRecord(r.Context(), machine.AppendOpen(nil, st, who.Owner), "", p); err != nil {
		s.ownerError(w, err)
		return
	}
	id := p.opened
	if p.err != nil || id == "" {
		msg := "the engine refused it"
		if p.err != nil {
			msg = p.err.Error()
			if inner := errors.Unwrap(p.err); inner != nil {
				msg = inner.Error() // without the engine's "open statistic <id>:" prefix
			}
		}
		s.writeError(w, http.StatusBadRequest, "cannot open statistic: "+msg)
		return
	}
	w.Header().Set("Location", "/v1/statistics/"+id)
	s.writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

// decodeJSON decodes one JSON value from r into v, refusing unknown fields and trailing
// data.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// objectJSON names a statistic's object.
type objectJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// notificationJSON is a statistic's notification settings.
type notificationJSON struct {
	Mode          string  `json:"mode"`
	Insensitivity float64 `json:"insensitivity,omitempty"`
	Period        float64 `json:"period,omitempty"` // seconds
}

// statisticJSON is an open statistic's definition.
type statisticJSON struct {
	ID           string           `json:"id"`
	StatType     string           `json:"statType"`
	Object       objectJSON       `json:"object"`
	Profile      string           `json:"profile"`
	TimeRange    string           `json:"timeRange,omitempty"`
	Filter       string           `json:"filter,omitempty"`
	Notification notificationJSON `json:"notification"`
	// Export is true when the statistic's value is exported to /metrics (config export).
	Export bool `json:"export,omitempty"`
}

// modeNames are the config names of the notification modes.
var modeNames = [...]string{
	config.NotifyChanges: "changes", config.NotifyPeriodical: "periodical",
	config.NotifyReset: "reset", config.NotifyNone: "none",
}

// describe returns st's definition.
func describe(st *config.Statistic) statisticJSON {
	j := statisticJSON{
		ID: st.ID, StatType: st.StatType.Name, Profile: profileName(st),
		Object: objectJSON{Type: st.Object.Type.String(), ID: st.Object.ID},
		Notification: notificationJSON{
			Insensitivity: st.Notification.Insensitivity,
			Period:        st.Notification.Period.Seconds(),
		},
	}
	if m := st.Notification.Mode; int(m) < len(modeNames) {
		j.Notification.Mode = modeNames[m]
	}
	if st.TimeRange != nil {
		j.TimeRange = st.TimeRange.Name
	}
	if st.Filter != nil {
		j.Filter = st.Filter.Name
	}
	return j
}

// profileName returns the name of st's profile (Default when it has none).
func profileName(st *config.Statistic) string {
	if st.Profile == nil {
		return config.DefaultProfileName
	}
	return st.Profile.Name
}

// peekJSON is the body of GET /v1/statistics/{id}.
type peekJSON struct {
	ID       string          `json:"id"`
	StatType string          `json:"statType"`
	Object   objectJSON      `json:"object"`
	Profile  string          `json:"profile"`
	At       json.RawMessage `json:"at"` // null before the engine's first event or tick
	Value    json.RawMessage `json:"value"`
	// Reason says why the value is undefined (Value null); absent when it is defined, so
	// that a defined value's answer is what it always was.
	Reason string `json:"reason,omitempty"`
}

// getStatistic handles GET /v1/statistics/{id}: {id, statType, object, profile, at,
// value, reason (when the value is undefined)}, 404 when the statistic is not open.
func (s *Server) getStatistic(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.checkIDs(w, "statistic", id) {
		return
	}
	var (
		st  *config.Statistic
		at  json.RawMessage
		v   engine.Value
		err error
	)
	if oerr := s.do(r.Context(), func(o *owner) { st, at, v, err = o.peek(id) }); oerr != nil {
		s.ownerError(w, oerr)
		return
	}
	if err != nil {
		s.unknownStatistic(w, r, id, err)
		return
	}
	value, err := appendValueJSON(nil, v)
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, fmt.Sprintf("statistic %q: %v", id, err))
		return
	}
	d := describe(st)
	s.writeJSON(w, http.StatusOK, peekJSON{ID: d.ID, StatType: d.StatType, Object: d.Object,
		Profile: d.Profile, At: at, Value: value, Reason: v.Undefined})
}

// deleteStatistic handles DELETE /v1/statistics/{id}: 204, 404 when not open.
func (s *Server) deleteStatistic(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.checkIDs(w, "statistic", id) {
		return
	}
	if err := s.failed(); err != nil {
		s.writeError(w, http.StatusServiceUnavailable, failureText(err))
		return
	}
	var (
		by    string
		admin bool
		merr  error
		who   = identity(r)
	)
	if oerr := s.do(r.Context(), func(o *owner) { by, admin, merr = o.mayClose(id, who) }); oerr != nil {
		s.ownerError(w, oerr)
		return
	}
	if errors.Is(merr, engine.ErrUnknownStatistic) { // not logged: a close of nothing changes nothing
		s.unknownStatistic(w, r, id, fmt.Errorf("statistic %q: %w", id, engine.ErrUnknownStatistic))
		return
	}
	var denied errForbidden
	if errors.As(merr, &denied) {
		s.forbidden(w, r, string(denied))
		return
	}
	p := newPending()
	if _, _, err := s.appendRecord(r.Context(), machine.AppendClose(nil, id), "", p); err != nil {
		s.ownerError(w, err)
		return
	}
	if p.err != nil {
		s.unknownStatistic(w, r, id, p.err)
		return
	}
	if admin {
		s.guard.AdminAction(r, who, "closed statistic "+id, "owner", by)
	}
	w.WriteHeader(http.StatusNoContent)
}

// knownRoutes are the API paths and their methods, for 405 answers.
var knownRoutes = map[string]string{
	"/v1/events": "POST", "/v1/statistics": "GET, POST", "/v1/stream": "GET",
	"/v1/actions": "GET", "/v1/config": "GET", "/v1/config/reload": "POST",
	"/v1/values": "GET", "/v1/openapi.json": "GET", "/v1/openapi.yaml": "GET",
}

// notFound answers API paths no route matched: 405 for a known path with another
// method, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	allow, ok := knownRoutes[r.URL.Path]
	if !ok && strings.HasPrefix(r.URL.Path, "/v1/statistics/") && !strings.Contains(r.URL.Path[len("/v1/statistics/"):], "/") {
		allow, ok = "GET, DELETE", true
	}
	if ok {
		w.Header().Set("Allow", allow)
		s.writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+allow+")")
		return
	}
	s.writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
}

// rawJSON serves a JSON document built once.
func (s *Server) rawJSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}
}

// healthz handles GET /healthz: 200 {"status":"ok", engineTime, applied, held} when the
// owner goroutine answers within two seconds (engineTime null before the first event or
// tick; applied the last log record applied; held the events in the reorder window);
// 503 {"status":"failed", error} when the log failed (the server is read-only), 503 when
// the owner does not answer. With history, "history" says how far its database is
// (history.go's historyStatus); a lagging history does not make the server unhealthy.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.failed(); err != nil {
		s.writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "error": failureText(err)})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var (
		now     json.RawMessage
		applied uint64
		held    int
	)
	if err := s.do(ctx, func(o *owner) {
		now, applied, held = engineTimeJSON(o.eng), o.mach.Applied(), o.mach.Pipeline().Held()
	}); err != nil {
		s.writeError(w, http.StatusServiceUnavailable, "engine not responding: "+err.Error())
		return
	}
	body := map[string]any{"status": "ok", "engineTime": now, "applied": applied, "held": held}
	if s.hist != nil {
		body["history"] = s.hist.status()
	}
	if s.repl != nil {
		body["replica"] = s.repl.ReplicaStatus()
	}
	s.writeJSON(w, http.StatusOK, body)
}

// promHandler serves the server's own metrics registry.
func promHandler(m *metrics) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
