package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/statkit/statkit/runtime/history"
)

// HistoryReader answers GET /v1/history: the stored intervals of recorded statistics.
// runtime/history's *Store is one.
type HistoryReader interface {
	History(ctx context.Context, q history.Query) (*history.Response, error)
}

// getHistory handles GET /v1/history (parameters: history.ParseQuery; body:
// history.Response): 400 for a bad parameter, 404 for a named statistic that is not
// recorded, or when the server keeps no history (Options.History is nil). "to" defaults
// to the server's clock, which is the simulated time in the demo.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	if !s.readMethod(w, r) {
		return
	}
	h := s.opts.History
	if h == nil {
		s.writeError(w, http.StatusNotFound, "this server keeps no history (statistics with notification mode reset are recorded when the server has a history database)")
		return
	}
	q, err := history.ParseQuery(r.URL.Query(), s.opts.Clock.Now())
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resp, err := h.History(r.Context(), q)
	var notRecorded *history.NotRecordedError
	switch {
	case errors.As(err, &notRecorded):
		s.writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		s.log.Error("history query", "err", err)
		s.writeError(w, http.StatusInternalServerError, "reading the history database failed")
	default:
		s.writeJSON(w, http.StatusOK, resp)
	}
}
