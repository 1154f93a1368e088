package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/statkit/statkit/runtime/config"
)

// GET /v1/wallboards: the board layouts of the config (section wallboards), resolved to
// statistic ids, so that the wallboard page draws what the config says — which values,
// in which order, with which thresholds — instead of guessing. A config without boards
// answers an empty list; the page then lays out every open statistic itself.

// wallboardsDoc is the body of GET /v1/wallboards.
type wallboardsDoc struct {
	Wallboards []wallboardJSON `json:"wallboards"`
}

// wallboardJSON is one board.
type wallboardJSON struct {
	Name     string        `json:"name"`
	Title    string        `json:"title"`
	Headline []*tileJSON   `json:"headline"`
	Sections []sectionJSON `json:"sections"`
	Agents   *agentsJSON   `json:"agents"` // null when the board shows no agents
}

// tileJSON is one value: a statistic and how to show it. Label is the config's label,
// else "" (the page names the value after StatType).
type tileJSON struct {
	Statistic  string            `json:"statistic"`
	Of         *string           `json:"of"`      // shown as "value / of"
	History    *string           `json:"history"` // the recorded statistic of its bar chart
	Label      string            `json:"label"`
	StatType   string            `json:"statType"`
	Category   string            `json:"category"`
	Object     config.ObjectSpec `json:"object"`
	Profile    string            `json:"profile"`
	TimeRange  *timeRangeJSON    `json:"timeRange"` // of a category that takes one
	Unit       string            `json:"unit"`
	Thresholds *thresholdsJSON   `json:"thresholds"` // null: none configured (the page may guess)
}

// thresholdsJSON are a value's thresholds; without warn and alarm, colouring is off.
type thresholdsJSON struct {
	Warn      *float64 `json:"warn,omitempty"`
	Alarm     *float64 `json:"alarm,omitempty"`
	Direction string   `json:"direction"` // above or below
}

// sectionJSON is a table: column headings, and per row a cell per column (null: blank).
type sectionJSON struct {
	Title   string       `json:"title"`
	Columns []columnJSON `json:"columns"`
	Rows    []rowJSON    `json:"rows"`
}

// columnJSON is a column heading.
type columnJSON struct {
	Label      string          `json:"label"`
	StatType   string          `json:"statType"`
	Unit       string          `json:"unit"`
	Thresholds *thresholdsJSON `json:"thresholds"`
}

// rowJSON is a row: its object and cells.
type rowJSON struct {
	Label  string              `json:"label"`
	Object config.ObjectSpec   `json:"object"`
	With   []config.ObjectSpec `json:"with"`
	Cells  []*tileJSON         `json:"cells"`
}

// agentsJSON is the agents' part of a board.
type agentsJSON struct {
	Statistics []string         `json:"statistics"`
	Groups     []string         `json:"groups"`
	States     []stateLimitJSON `json:"states"`
}

// stateLimitJSON is how long a state may last, in seconds.
type stateLimitJSON struct {
	Statuses   []string        `json:"statuses"`
	Reason     string          `json:"reason,omitempty"`
	Thresholds *thresholdsJSON `json:"thresholds"`
}

// wallboardsCache holds the JSON of the config last asked for.
type wallboardsCache struct {
	mu   sync.Mutex
	cfg  *config.Config
	body []byte
}

// getWallboards handles GET /v1/wallboards.
func (s *Server) getWallboards(w http.ResponseWriter, r *http.Request) {
	if !s.readMethod(w, r) {
		return
	}
	if len(r.URL.Query()) > 0 {
		s.writeError(w, http.StatusBadRequest, "GET /v1/wallboards takes no query parameters")
		return
	}
	cfg := s.cfg.Load()
	c := &s.boards
	c.mu.Lock()
	if c.cfg != cfg {
		b, err := wallboardsJSON(cfg)
		if err != nil {
			c.mu.Unlock()
			s.writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		c.cfg, c.body = cfg, b
	}
	body := c.body
	c.mu.Unlock()
	s.rawJSON(body)(w, r)
}

// wallboardsJSON builds the GET /v1/wallboards document of cfg.
func wallboardsJSON(cfg *config.Config) ([]byte, error) {
	d := wallboardsDoc{Wallboards: []wallboardJSON{}}
	for _, wb := range cfg.Wallboards {
		j := wallboardJSON{Name: wb.Name, Title: wb.Title, Headline: []*tileJSON{}, Sections: []sectionJSON{}}
		for _, t := range wb.Headline {
			j.Headline = append(j.Headline, tileOf(t))
		}
		for _, sec := range wb.Sections {
			sj := sectionJSON{Title: sec.Title, Columns: []columnJSON{}, Rows: []rowJSON{}}
			for _, c := range sec.Columns {
				cj := columnJSON{Label: c.Label, Unit: c.Unit.String(), Thresholds: thresholdsOf(c.Thresholds)}
				if c.StatType != nil {
					cj.StatType = c.StatType.Name
				}
				sj.Columns = append(sj.Columns, cj)
			}
			for _, r := range sec.Rows {
				rj := rowJSON{Label: r.Label, Object: objectSpec(r.Object), With: []config.ObjectSpec{}, Cells: []*tileJSON{}}
				for _, o := range r.With {
					rj.With = append(rj.With, objectSpec(o))
				}
				for _, cell := range r.Cells {
					rj.Cells = append(rj.Cells, tileOf(cell))
				}
				sj.Rows = append(sj.Rows, rj)
			}
			j.Sections = append(j.Sections, sj)
		}
		if a := wb.Agents; a != nil {
			aj := &agentsJSON{Statistics: []string{}, Groups: []string{}, States: []stateLimitJSON{}}
			for _, st := range a.Statistics {
				aj.Statistics = append(aj.Statistics, st.ID)
			}
			aj.Groups = append(aj.Groups, a.Groups...)
			for _, st := range a.States {
				aj.States = append(aj.States, stateLimitJSON{Statuses: st.Statuses, Reason: st.Reason, Thresholds: thresholdsOf(st.Thresholds)})
			}
			j.Agents = aj
		}
		d.Wallboards = append(d.Wallboards, j)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("server: wallboards document: %w", err)
	}
	return b, nil
}

// tileOf describes a tile (nil for a blank cell).
func tileOf(t *config.Tile) *tileJSON {
	if t == nil || t.Statistic == nil {
		return nil
	}
	s := t.Statistic
	j := &tileJSON{Statistic: s.ID, Label: t.Label, Object: objectSpec(s.Object), Unit: t.Unit.String(),
		Thresholds: thresholdsOf(t.Thresholds), Profile: config.DefaultProfileName}
	if s.StatType != nil {
		j.StatType, j.Category = s.StatType.Name, s.StatType.Category.String()
	}
	if s.Profile != nil {
		j.Profile = s.Profile.Name
	}
	if r := s.TimeRange; r != nil {
		j.TimeRange = &timeRangeJSON{Name: r.Name, Lo: float64(r.Lo) / 1000, Hi: float64(r.Hi) / 1000}
	}
	if t.Of != nil {
		j.Of = &t.Of.ID
	}
	if t.History != nil {
		j.History = &t.History.ID
	}
	return j
}

// thresholdsOf describes thresholds (nil: none configured).
func thresholdsOf(t *config.Thresholds) *thresholdsJSON {
	if t == nil {
		return nil
	}
	j := &thresholdsJSON{Warn: t.Warn, Alarm: t.Alarm, Direction: "above"}
	if t.Below {
		j.Direction = "below"
	}
	return j
}

// objectSpec names an object by type name and id.
func objectSpec(o config.ObjectRef) config.ObjectSpec {
	return config.ObjectSpec{Type: o.Type.String(), ID: o.ID}
}
