package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/statkit/statkit/internal/suggest"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
)

// valueItemJSON is one value of GET /v1/values and GET /v1/statistics?values=true: the
// same members as an SSE value frame's data, so that a client reads a board's values in
// one request and follows them on the stream with the same code.
type valueItemJSON struct {
	Statistic string          `json:"statistic"`
	At        json.RawMessage `json:"at"` // the engine time (null before the first event or tick)
	Value     json.RawMessage `json:"value"`
	// Reason says why the value is undefined (Value null); absent when it is defined.
	Reason string `json:"reason,omitempty"`
}

// read is the current values of some open statistics, read by the owner in one op.
type read struct {
	stats  []*config.Statistic
	values []engine.Value
	at     json.RawMessage
}

// readValues reads the values of the statistics ids (every open one, in open order,
// when ids is nil) on the owner goroutine. Unknown ids are an error naming them (with
// the nearest open id); nothing is read then.
func (o *owner) readValues(ids []string) (read, error) {
	var r read
	if ids == nil {
		r.stats = o.mach.Statistics()
	} else {
		r.stats = make([]*config.Statistic, 0, len(ids))
		var unknown []string
		for _, id := range ids {
			st, ok := o.mach.Statistic(id)
			if !ok {
				unknown = append(unknown, id)
				continue
			}
			r.stats = append(r.stats, st)
		}
		if len(unknown) > 0 {
			return read{}, o.unknownIDs(unknown)
		}
	}
	r.values = make([]engine.Value, len(r.stats))
	for i, st := range r.stats {
		v, err := o.eng.Value(st.ID)
		if err != nil {
			return read{}, err
		}
		r.values[i] = v
	}
	r.at = engineTimeJSON(o.eng)
	return r, nil
}

// unknownIDs is the error of ids that are not open: each quoted, with the nearest open
// id when one looks like a typo; it wraps engine.ErrUnknownStatistic.
func (o *owner) unknownIDs(ids []string) error {
	open := o.mach.Statistics()
	names := make([]string, len(open))
	for i, st := range open {
		names[i] = st.ID
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Quote(id) + suggest.Hint(id, names)
	}
	word := "statistic"
	if len(ids) > 1 {
		word = "statistics"
	}
	return fmt.Errorf("unknown %s %s: %w", word, strings.Join(parts, ", "), engine.ErrUnknownStatistic)
}

// items returns the JSON items of r's values.
func (r read) items() ([]valueItemJSON, error) {
	out := make([]valueItemJSON, len(r.stats))
	for i, st := range r.stats {
		b, err := appendValueJSON(nil, r.values[i])
		if err != nil {
			return nil, fmt.Errorf("statistic %q: %w", st.ID, err)
		}
		out[i] = valueItemJSON{Statistic: st.ID, At: r.at, Value: b, Reason: r.values[i].Undefined}
	}
	return out, nil
}

// statisticIDs returns the distinct values of the query parameter statistic, in order
// (nil when there is none: every statistic). A value may list ids separated by commas.
// An empty id is an error.
func statisticIDs(r *http.Request) ([]string, error) {
	raw := r.URL.Query()["statistic"]
	if len(raw) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	ids := []string{}
	for _, v := range raw {
		for id := range strings.SplitSeq(v, ",") {
			if id == "" {
				return nil, fmt.Errorf("query parameter statistic: an empty statistic id in %q", v)
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// statisticParam reads the statistic ids of the query (statisticIDs) and bounds them: at
// most maxStreamIDs, each a plausible id (auth.CheckID). A bad one is answered 400 and
// ok is false.
func (s *Server) statisticParam(w http.ResponseWriter, r *http.Request) (ids []string, ok bool) {
	ids, err := statisticIDs(r)
	if err == nil && len(ids) > maxStreamIDs {
		err = fmt.Errorf("too many statistics named: at most %d per request", maxStreamIDs)
	}
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return ids, s.checkIDs(w, "statistic", ids...)
}

// boolParam reads the boolean query parameter name: absent is false; true, 1, false and
// 0 are accepted, once.
func boolParam(r *http.Request, name string) (bool, error) {
	vs := r.URL.Query()[name]
	switch {
	case len(vs) == 0:
		return false, nil
	case len(vs) > 1:
		return false, fmt.Errorf("query parameter %s is given %d times", name, len(vs))
	}
	switch vs[0] {
	case "true", "1", "":
		return true, nil // ?values alone means true
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("query parameter %s must be true or false, not %q", name, vs[0])
}

// getValues handles GET /v1/values[?statistic=ID…]: {"values": [{statistic, at, value,
// reason}]}, the current values of the statistics named (in the order named) or of every
// open statistic (in open order), read at one engine time; 404 naming the ids that are
// not open.
func (s *Server) getValues(w http.ResponseWriter, r *http.Request) {
	ids, ok := s.statisticParam(w, r)
	if !ok {
		return
	}
	rd, ok := s.readValues(w, r, ids)
	if !ok {
		return
	}
	items, err := rd.items()
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"values": items})
}

// readValues reads ids' values on the owner and answers the errors itself (ok false).
func (s *Server) readValues(w http.ResponseWriter, r *http.Request, ids []string) (read, bool) {
	var (
		rd  read
		err error
	)
	if oerr := s.do(r.Context(), func(o *owner) { rd, err = o.readValues(ids) }); oerr != nil {
		s.ownerError(w, oerr)
		return read{}, false
	}
	if err != nil {
		s.statisticsError(w, err)
		return read{}, false
	}
	return rd, true
}

// listedJSON is a statistic of GET /v1/statistics?values=true: its definition and its
// current value.
type listedJSON struct {
	statisticJSON
	At     json.RawMessage `json:"at"`
	Value  json.RawMessage `json:"value"`
	Reason string          `json:"reason,omitempty"`
}

// listStatistics handles GET /v1/statistics[?statistic=ID…][&values=true]:
// {"statistics": [definition…]} in the order they were opened (or named); with values,
// each definition also has at, value and, when undefined, reason — a board's
// definitions and values in one request.
func (s *Server) listStatistics(w http.ResponseWriter, r *http.Request) {
	ids, ok := s.statisticParam(w, r)
	if !ok {
		return
	}
	withValues, err := boolParam(r, "values")
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	cfg := s.cfg.Load()
	if !withValues {
		var (
			list []*config.Statistic
			rerr error
		)
		if err := s.do(r.Context(), func(o *owner) {
			if ids == nil {
				list = o.statistics()
				return
			}
			var rd read
			if rd, rerr = o.readDefinitions(ids); rerr == nil {
				list = rd.stats
			}
		}); err != nil {
			s.ownerError(w, err)
			return
		}
		if rerr != nil {
			s.statisticsError(w, rerr)
			return
		}
		out := make([]statisticJSON, len(list))
		for i, st := range list {
			out[i] = describe(st) // open statistics are never modified
			out[i].Export = cfg.Exported(st)
		}
		s.writeJSON(w, http.StatusOK, map[string]any{"statistics": out})
		return
	}
	rd, ok := s.readValues(w, r, ids)
	if !ok {
		return
	}
	items, err := rd.items()
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := make([]listedJSON, len(rd.stats))
	for i, st := range rd.stats {
		out[i] = listedJSON{statisticJSON: describe(st), At: items[i].At, Value: items[i].Value, Reason: items[i].Reason}
		out[i].Export = cfg.Exported(st)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"statistics": out})
}

// readDefinitions returns the open statistics ids, without reading their values.
func (o *owner) readDefinitions(ids []string) (read, error) {
	var r read
	var unknown []string
	for _, id := range ids {
		if st, ok := o.mach.Statistic(id); ok {
			r.stats = append(r.stats, st)
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return read{}, o.unknownIDs(unknown)
	}
	return r, nil
}

// statisticsError answers an error of readValues or readDefinitions: 404 for statistics
// that are not open (the message names them), else 500.
func (s *Server) statisticsError(w http.ResponseWriter, err error) {
	if errors.Is(err, engine.ErrUnknownStatistic) {
		s.writeError(w, http.StatusNotFound, err.Error())
		return
	}
	s.writeError(w, http.StatusInternalServerError, err.Error())
}
