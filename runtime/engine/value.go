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
// without a place it is logged in on; a group's members). CurrentStateReasons also lists
// the reasons in progress under the node (see state.go); Reasons is nil for CurrentState.
type State struct {
	Type   object.Type
	ID     string
	Status action.ID // action.None when no status action is in progress
	// Since is when the status began; 0 (null in JSON) before the engine's first event
	// or tick, when no time is known.
	Since    event.Time
	Reason   string
	Reasons  []StateReason
	Children []State
}

// StateReason is one in-progress agent-state action (ready, not ready, after-call work)
// with its reason code, on one DN.
type StateReason struct {
	Action action.ID
	Reason string // the instance's ReasonCode data, "" when absent
	DN     string
	Since  event.Time
}

// stateJSON is the wire form of a State.
type stateJSON struct {
	Type     string         `json:"type"`
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	Since    *string        `json:"since"`
	Reason   string         `json:"reason"`
	Reasons  *[]StateReason `json:"reasons,omitempty"`
	Children []State        `json:"children"`
}

// MarshalJSON encodes s as {"type","id","status","since","reason","children"}, with
// "reasons" before "children" for CurrentStateReasons; status is the action name ("" for
// no status), since is RFC 3339 in UTC with milliseconds (null when 0: not known).
func (s State) MarshalJSON() ([]byte, error) {
	j := stateJSON{Type: s.Type.String(), ID: s.ID, Reason: s.Reason, Children: s.Children}
	if s.Since != 0 {
		since := s.Since.String()
		j.Since = &since
	}
	if s.Status.Valid() {
		j.Status = s.Status.Name()
	}
	if j.Children == nil {
		j.Children = []State{}
	}
	if s.Reasons != nil {
		j.Reasons = &s.Reasons
	}
	return json.Marshal(j)
}

// MarshalJSON encodes r as {"action","reason","dn","since"}.
func (r StateReason) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
		DN     string `json:"dn"`
		Since  string `json:"since"`
	}{actionName(r.Action), r.Reason, r.DN, r.Since.String()})
}

// equalState reports whether two trees are the same.
func equalState(a, b *State) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Type != b.Type || a.ID != b.ID || a.Status != b.Status || a.Since != b.Since || a.Reason != b.Reason ||
		len(a.Children) != len(b.Children) || (a.Reasons == nil) != (b.Reasons == nil) || len(a.Reasons) != len(b.Reasons) {
		return false
	}
	for i := range a.Reasons {
		if a.Reasons[i] != b.Reasons[i] {
			return false
		}
	}
	for i := range a.Children {
		if !equalState(&a.Children[i], &b.Children[i]) {
			return false
		}
	}
	return true
}

// count is a count value.
func count(n int64) Value { return Value{Number: float64(n)} }

// seconds is a duration value from milliseconds.
func seconds(ms int64) Value { return Value{Number: float64(ms) / 1000} }

// percent is 100·a/b, 0 when b is 0.
func percent(a, b float64) Value {
	if b == 0 {
		return Value{}
	}
	return Value{Number: 100 * a / b}
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) Value {
	if b == 0 {
		return Value{}
	}
	return Value{Number: a / b}
}

// finite is f, or 0 when f is not finite: an extreme of nothing (±Inf), or a custom sum
// beyond float64.
func finite(f float64) Value {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{}
	}
	return Value{Number: f}
}

// avg is sum/n milliseconds rounded to the millisecond, in seconds; 0 when n is 0.
func avg(sum, n int64) Value {
	if n == 0 {
		return Value{}
	}
	return Value{Number: math.Round(float64(sum)/float64(n)) / 1000}
}
