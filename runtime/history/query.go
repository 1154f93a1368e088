package history

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query selects stored intervals: GET /v1/history's parameters, parsed.
type Query struct {
	// Statistics are ids to read (statistic=ID, repeatable). When empty, every recorded
	// statistic of StatType on the object (ObjectType, ObjectID) is read: the series a
	// wallboard tile of that stat type and object can draw.
	Statistics []string
	StatType   string
	ObjectType string
	ObjectID   string
	// From and To bound the intervals read: those that end in (From, To].
	From, To time.Time
	// Limit bounds the rows returned over all series.
	Limit int
}

// Query limits.
const (
	DefaultQueryLimit = 10_000
	MaxQueryLimit     = 100_000
	MaxQueryIDs       = 100
	MaxQuerySpan      = 366 * 24 * time.Hour
	defaultQuerySpan  = 24 * time.Hour
)

// QueryError is a bad GET /v1/history parameter (the server answers 400 with it).
type QueryError struct {
	Param string
	Msg   string
}

// Error returns "PARAM: MSG".
func (e *QueryError) Error() string { return e.Param + ": " + e.Msg }

// NotRecordedError: a statistic the query names has no stored interval (the server
// answers 404).
type NotRecordedError struct{ Statistic string }

// Error explains why a statistic may not be recorded.
func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("statistic %q is not recorded: no interval of it is stored (history records statistics whose notification mode is reset, from their first reset on)", e.Statistic)
}

// ParseQuery reads GET /v1/history's query string:
//
//	statistic=ID              a recorded statistic (repeatable, at most 100), or
//	statType=NAME&objectType=TYPE&objectId=ID
//	                          every recorded statistic of that stat type on that object
//	from=T&to=T               RFC 3339 instants: intervals ending in (from, to]; to
//	                          defaults to now, from to 24 hours before to; at most a
//	                          year apart
//	limit=N                   at most N rows over all series (default 10,000, at most
//	                          100,000); a truncated answer says so
//
// Unknown parameters are refused, so a misspelled one is not silently ignored. The error
// is a *QueryError.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{Limit: DefaultQueryLimit}
	for k := range v {
		switch k {
		case "statistic", "statType", "objectType", "objectId", "from", "to", "limit":
		default:
			return q, &QueryError{k, "unknown parameter (statistic, statType, objectType, objectId, from, to, limit)"}
		}
	}
	for _, k := range []string{"statType", "objectType", "objectId", "from", "to", "limit"} {
		if len(v[k]) > 1 {
			return q, &QueryError{k, "given more than once"}
		}
	}
	q.Statistics = v["statistic"]
	q.StatType, q.ObjectType, q.ObjectID = v.Get("statType"), v.Get("objectType"), v.Get("objectId")
	switch {
	case len(q.Statistics) > MaxQueryIDs:
		return q, &QueryError{"statistic", fmt.Sprintf("at most %d statistics per request", MaxQueryIDs)}
	case len(q.Statistics) > 0 && (q.StatType != "" || q.ObjectType != "" || q.ObjectID != ""):
		return q, &QueryError{"statistic", "name statistics, or a stat type and an object, not both"}
	case len(q.Statistics) == 0 && (q.StatType == "" || q.ObjectType == "" || q.ObjectID == ""):
		return q, &QueryError{"statistic", "required (or statType, objectType and objectId together)"}
	}
	for _, id := range q.Statistics {
		if id == "" || len(id) > 256 {
			return q, &QueryError{"statistic", "an id is 1 to 256 characters"}
		}
	}
	var err error
	q.To = now.UTC()
	if s := v.Get("to"); s != "" {
		if q.To, err = parseInstant(s); err != nil {
			return q, &QueryError{"to", err.Error()}
		}
	}
	q.From = q.To.Add(-defaultQuerySpan)
	if s := v.Get("from"); s != "" {
		if q.From, err = parseInstant(s); err != nil {
			return q, &QueryError{"from", err.Error()}
		}
	}
	switch {
	case !q.From.Before(q.To):
		return q, &QueryError{"from", "must be before to"}
	case q.To.Sub(q.From) > MaxQuerySpan:
		return q, &QueryError{"from", "from and to are more than a year apart"}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxQueryLimit {
			return q, &QueryError{"limit", fmt.Sprintf("a whole number from 1 to %d", MaxQueryLimit)}
		}
		q.Limit = n
	}
	return q, nil
}

// parseInstant parses an RFC 3339 time between years 1 and 9999.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (e.g. 2026-11-26T00:00:00Z)", s)
	}
	return t.UTC(), nil
}

// Response is GET /v1/history's JSON body.
type Response struct {
	From      JSONTime `json:"from"`
	To        JSONTime `json:"to"`
	Series    []Series `json:"series"`
	Truncated bool     `json:"truncated"` // the limit cut the answer: ask again from the last end
}

// Series is one statistic's stored intervals, with its description.
type Series struct {
	Statistic     string         `json:"statistic"`
	StatType      string         `json:"statType"`
	Category      string         `json:"category"`
	Object        SeriesObject   `json:"object"`
	Profile       string         `json:"profile"`
	TimeRange     *string        `json:"timeRange"`
	Filter        *string        `json:"filter"`
	FirstRecorded JSONTime       `json:"firstRecorded"`
	LastRecorded  JSONTime       `json:"lastRecorded"`
	Intervals     []IntervalJSON `json:"intervals"`
}

// SeriesObject is a series' object.
type SeriesObject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// IntervalJSON is one interval of a series: value null when undefined.
type IntervalJSON struct {
	Start JSONTime `json:"start"`
	End   JSONTime `json:"end"`
	Value *float64 `json:"value"`
}

// JSONTime is a time as RFC 3339 in UTC with milliseconds.
type JSONTime time.Time

// MarshalJSON formats the time as "2006-01-02T15:04:05.000Z".
func (t JSONTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(timeFormat))
}

// UnmarshalJSON reads an RFC 3339 time.
func (t *JSONTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	*t = JSONTime(v)
	return err
}

// History answers q: the series of the statistics it names (in the order named) or of
// the recorded statistics of its stat type and object (by id), with their intervals in
// time order. A named statistic that is not recorded is a *NotRecordedError; a stat type
// and object with none gives no series.
func (s *Store) History(ctx context.Context, q Query) (*Response, error) {
	var infos []StatisticInfo
	if len(q.Statistics) > 0 {
		for _, id := range q.Statistics {
			got, err := s.Statistics(ctx, StatisticFilter{ID: id})
			if err != nil {
				return nil, err
			}
			if len(got) == 0 {
				return nil, &NotRecordedError{id}
			}
			infos = append(infos, got[0])
		}
	} else {
		var err error
		infos, err = s.Statistics(ctx, StatisticFilter{StatType: q.StatType, ObjectType: q.ObjectType, ObjectID: q.ObjectID})
		if err != nil {
			return nil, err
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	resp := &Response{From: JSONTime(q.From), To: JSONTime(q.To), Series: []Series{}}
	left := limit
	for _, si := range infos {
		if left == 0 {
			resp.Truncated = true
			break
		}
		// One more than asked tells a cut answer from an exact fit.
		ivs, err := s.Intervals(ctx, []string{si.ID}, q.From, q.To, left+1)
		if err != nil {
			return nil, err
		}
		if len(ivs) > left {
			ivs, resp.Truncated = ivs[:left], true
		}
		left -= len(ivs)
		resp.Series = append(resp.Series, seriesOf(si, ivs))
	}
	return resp, nil
}

// seriesOf builds a series' JSON.
func seriesOf(si StatisticInfo, ivs []Interval) Series {
	sr := Series{Statistic: si.ID, StatType: si.StatType, Category: si.Category,
		Object: SeriesObject{si.ObjectType, si.ObjectID}, Profile: si.Profile,
		TimeRange: optional(si.TimeRange), Filter: optional(si.Filter),
		FirstRecorded: JSONTime(si.FirstRecorded), LastRecorded: JSONTime(si.LastRecorded),
		Intervals: make([]IntervalJSON, len(ivs))}
	for i, iv := range ivs {
		sr.Intervals[i] = IntervalJSON{Start: JSONTime(iv.Start), End: JSONTime(iv.End)}
		if !math.IsNaN(iv.Value) {
			v := iv.Value
			sr.Intervals[i].Value = &v
		}
	}
	return sr
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
