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
// a percentage), a State tree for the structured categories (CurrentState,
// CurrentStateReasons, CurrentTargetState), or undefined.
//
// A value is undefined when it has no number: a ratio whose denominator is 0 (an average
// of nothing, a percentage of nothing), a Formula dividing by zero or reading an
// undefined input, an estimate with nothing to estimate from. Undefined then says why,
// in words, and Number is 0. In JSON an undefined value is null; a consumer that shows
// the reason puts it beside the value (the API's "reason" field), so that the shape of a
// defined value does not change.
type Value struct {
	// Number is the numeric value; 0 for structured and undefined values.
	Number float64
	// State is the tree of a structured category, nil for numeric values.
	State *State
	// Undefined is why the value is undefined, "" for a defined value.
	Undefined string
}

// Defined reports whether v has a value (a number or a tree).
func (v Value) Defined() bool { return v.Undefined == "" }

// undefined is the undefined value with reason why.
func undefined(why string) Value { return Value{Undefined: why} }

// MarshalJSON encodes a number as a JSON number (shortest form, no exponent), a State as
// an object and an undefined value as null.
func (v Value) MarshalJSON() ([]byte, error) {
	switch {
	case v.Undefined != "":
		return []byte("null"), nil
	case v.State != nil:
		return json.Marshal(v.State)
	}
	return strconv.AppendFloat(nil, v.Number, 'f', -1, 64), nil
}

// String formats the value as its JSON text (null for an undefined value).
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
// CurrentTargetState also says on every node whether the object is a routing target now
// and why (see target.go); Target is false for the other trees.
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
	// Target marks a CurrentTargetState node: Available says whether the object can take
	// an interaction now, Why says why in words ("ready", "not ready", "2 of 5 available").
	Target    bool
	Available bool
	Why       string
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
	Type      string         `json:"type"`
	ID        string         `json:"id"`
	Status    string         `json:"status"`
	Since     *string        `json:"since"`
	Reason    string         `json:"reason"`
	Available *bool          `json:"available,omitempty"`
	Why       string         `json:"why,omitempty"`
	Reasons   *[]StateReason `json:"reasons,omitempty"`
	Children  []State        `json:"children"`
}

// MarshalJSON encodes s as {"type","id","status","since","reason","children"}, with
// "reasons" before "children" for CurrentStateReasons and "available" and "why" after
// "reason" for CurrentTargetState; status is the action name ("" for no status), since is
// RFC 3339 in UTC with milliseconds (null when 0: not known).
func (s State) MarshalJSON() ([]byte, error) {
	j := stateJSON{Type: s.Type.String(), ID: s.ID, Reason: s.Reason, Children: s.Children}
	if s.Target {
		j.Available, j.Why = &s.Available, s.Why
	}
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
		a.Target != b.Target || a.Available != b.Available || a.Why != b.Why ||
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

// Reasons of the undefined ratios.
const (
	whyZeroDenominator  = "the denominator is 0"
	whyNothingToAverage = "no instance to average"
)

// percent is 100·a/b, undefined when b is 0.
func percent(a, b float64) Value {
	if b == 0 {
		return undefined(whyZeroDenominator)
	}
	return Value{Number: 100 * a / b}
}

// ratio is a/b, undefined when b is 0.
func ratio(a, b float64) Value {
	if b == 0 {
		return undefined(whyZeroDenominator)
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

// finiteAvg is the custom-value average sum/n: undefined when n is 0, 0 when the sum is
// not finite.
func finiteAvg(sum float64, n int64) Value {
	if n == 0 {
		return undefined(whyNothingToAverage)
	}
	return finite(sum / float64(n))
}

// avg is sum/n milliseconds rounded to the millisecond, in seconds; undefined when n is
// 0.
func avg(sum, n int64) Value {
	if n == 0 {
		return undefined(whyNothingToAverage)
	}
	return Value{Number: math.Round(float64(sum)/float64(n)) / 1000}
}
