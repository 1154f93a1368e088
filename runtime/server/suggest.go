package server

import (
	"errors"
	"net/http"

	"github.com/statkit/statkit/internal/suggest"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
)

// unknownStatistic answers 404 for a statistic id that is not open, adding the open id
// nearest to it when that looks like a typo ("did you mean …?"). Other errors are 500.
func (s *Server) unknownStatistic(w http.ResponseWriter, r *http.Request, id string, err error) {
	if !errors.Is(err, engine.ErrUnknownStatistic) {
		s.writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	msg := err.Error()
	var open []*config.Statistic
	if s.do(r.Context(), func(o *owner) { open = o.statistics() }) == nil {
		ids := make([]string, len(open))
		for i, st := range open {
			ids[i] = st.ID
		}
		msg += suggest.Hint(id, ids)
	}
	s.writeError(w, http.StatusNotFound, msg)
}
