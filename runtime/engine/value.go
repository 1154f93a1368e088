package engine

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// Value is a statistic's value: a number (seconds with millisecond precision, a count, or
// a percentage), or for CurrentState a State tree.
type Value struct {
	// Number is the numeric value; 0 for structured values.
	Number float64
	// State is the CurrentState tree, nil for numeric values.
	State *State
}

// MarshalJSON encodes a number as a JSON number (shortest form, no exponent) and a State
// as an object.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.State != nil {
		return json.Marshal(v.State)
	}
	return strconv.AppendFloat(nil, v.Number, 'f', -1, 64), nil
}

// String formats the value as its JSON text.
func (v Value) String() string {
	b, err := v.MarshalJSON()
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// State is one node of a CurrentState tree: an object's status, since when it holds, the
// ReasonCode of the action instance that decides it, and the nodes below it in the
// propagation hierarchy (a place's DNs; an agent's places, each with its DNs, and the DNs
// without a place it is logged in on).
type State struct {
	Type     object.Type
	ID       string
	Status   action.ID // action.None when no status action is in progress
	Since    event.Time
	Reason   string
	Children []State
}

// stateJSON is the wire form of a State.
type stateJSON struct {
	Type     string  `json:"type"`
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Since    string  `json:"since"`
	Reason   string  `json:"reason"`
	Children []State `json:"children"`
}

// MarshalJSON encodes s as {"type","id","status","since","reason","children"}; status is
// the action name ("" for no status), since is RFC 3339 in UTC with milliseconds.
func (s State) MarshalJSON() ([]byte, error) {
	j := stateJSON{Type: s.Type.String(), ID: s.ID, Since: s.Since.String(), Reason: s.Reason, Children: s.Children}
	if s.Status.Valid() {
		j.Status = s.Status.Name()
	}
	if j.Children == nil {
		j.Children = []State{}
	}
	return json.Marshal(j)
}

// count is a count value.
func count(n int64) Value { return Value{Number: float64(n)} }

// seconds is a duration value from milliseconds.
func seconds(ms int64) Value { return Value{Number: float64(ms) / 1000} }

// avg is sum/n milliseconds rounded to the millisecond, in seconds; 0 when n is 0.
func avg(sum, n int64) Value {
	if n == 0 {
		return Value{}
	}
	return Value{Number: math.Round(float64(sum)/float64(n)) / 1000}
}
