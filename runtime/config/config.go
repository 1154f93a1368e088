package config

import (
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/expr"
)

// DefaultTenant is the tenant of objects that name none.
const DefaultTenant = "default"

// Config is a loaded, validated configuration. Slices keep the file's order.
type Config struct {
	Topology     Topology
	StatTypes    []*StatType
	TimeProfiles []*TimeProfile
	TimeRanges   []*TimeRange
	Filters      []*Filter
	Statistics   []*Statistic
	// Reports are the interval reports over recorded statistics (section reports).
	Reports []*Report
	// Wallboards are the board layouts the wallboard page offers (section wallboards).
	Wallboards []*Wallboard

	// Lookups by name, built at load.
	statTypes  map[string]*StatType
	profiles   map[string]*TimeProfile
	ranges     map[string]*TimeRange
	filters    map[string]*Filter
	statistics map[string]*Statistic
	// defs are the definitions the config's statistics share, by value; Load fills it,
	// NewStatistic only reads it (it may run concurrently).
	defs map[Def]*Def
	// export holds the export marks of stat types and statistics (export.go).
	export exportMarks
}

// Topology names the objects actions occur on and statistics are computed for.
type Topology struct {
	// Tenant is the default tenant of every object that names none.
	Tenant       string
	Tenants      []string // Tenant, then the tenants topology.tenants declares
	DNs          []*DN
	Places       []*Place
	Agents       []*Agent
	StagingAreas []*Object
	Workbins     []*Object
	// Groups of agents, places and queues (queues and route points), by group id.
	AgentGroups []*Group
	PlaceGroups []*Group
	QueueGroups []*Group

	idx topoIndex // lookups, built at load
}

// Object is a plain topology object with an id and a tenant.
type Object struct {
	ID     string
	Tenant string
}

// DN is a directory number: a regular DN (extension, position…) or a mediation DN
// (queue, routing point, virtual queue).
type DN struct {
	ID     string
	Type   object.DNType
	Place  string // the place of a regular DN, "" when none
	Tenant string
}

// Place is a working place; its DNs are the DNs that name it.
type Place struct {
	ID     string
	Tenant string
}

// Agent is an agent (person), identified by employee id.
type Agent struct {
	ID     string
	Name   string
	Tenant string
}

// Group is a named group of member ids (agents, places, or queues and route points).
type Group struct {
	ID      string
	Tenant  string
	Members []string
}

// MaskWords is the number of 64-bit words a Mask needs.
const MaskWords = (action.Count + 1 + 63) / 64

// Mask is a set of action rows (MainMask / RelMask). A mask entry names an action (every
// row of that name), `*` (all actions) or `~Name` (exclude that name); exclusions apply
// after inclusions.
type Mask struct {
	bits [MaskWords]uint64
	// Text is the mask as written in the config, for display.
	Text []string
}

// Bits returns the mask as a set of action IDs (bit a%64 of word a/64 for action a): two
// masks with the same actions have the same Bits, whatever their Text.
func (m *Mask) Bits() [MaskWords]uint64 { return m.bits }

// Has reports whether action a is in the mask.
func (m *Mask) Has(a action.ID) bool {
	return a.Valid() && m.bits[a/64]&(1<<(a%64)) != 0
}

// Add puts a in the mask.
func (m *Mask) Add(a action.ID) {
	if a.Valid() {
		m.bits[a/64] |= 1 << (a % 64)
	}
}

// Remove takes a out of the mask.
func (m *Mask) Remove(a action.ID) {
	if a.Valid() {
		m.bits[a/64] &^= 1 << (a % 64)
	}
}

// Empty reports whether the mask holds no action.
func (m *Mask) Empty() bool {
	for _, w := range m.bits {
		if w != 0 {
			return false
		}
	}
	return true
}

// Actions lists the actions in the mask in spec order.
func (m *Mask) Actions() []action.ID {
	var out []action.ID
	for _, a := range action.AllIDs() {
		if m.Has(a) {
			out = append(out, a)
		}
	}
	return out
}

// StatType is a statistic type: what to count (category, subject, masks) on which object
// types.
type StatType struct {
	Name     string
	Objects  object.TypeSet
	Category category.Category
	Subject  category.Subject
	MainMask Mask
	RelMask  Mask // empty when not given
	// MediaType restricts actions to one media type ("" = any).
	MediaType string
	// Formula is the numeric expression of the custom-value categories and of Formula
	// ("" otherwise).
	Formula     string
	Description string
	// Compiled is the compiled formula of a Formula stat type (nil otherwise), and Inputs
	// its inputs, in the order of Compiled.Refs.
	Compiled *expr.StatFormula
	Inputs   []FormulaInput
}

// ProfileType is the kind of a time profile.
type ProfileType uint8

// Time profile kinds.
const (
	ProfileNone ProfileType = iota
	// ProfileGrowing accumulates from the last reset; resets at local times of day or every period.
	ProfileGrowing
	// ProfileSliding covers the last Window, advancing in Step increments aligned to the epoch.
	ProfileSliding
	// ProfileSelection covers the last Count completed instances.
	ProfileSelection
	// ProfileSinceLogin covers an agent's time since its latest login.
	ProfileSinceLogin
)

// String returns the profile type's config name.
func (p ProfileType) String() string {
	switch p {
	case ProfileGrowing:
		return "Growing"
	case ProfileSliding:
		return "Sliding"
	case ProfileSelection:
		return "Selection"
	case ProfileSinceLogin:
		return "SinceLogin"
	}
	return ""
}

// TimeProfile says over which interval historical categories are computed.
type TimeProfile struct {
	Name string
	Type ProfileType
	// Growing: reset at these local times of day (offsets from midnight) in Location, each
	// repeated every Period (when set) until the end of its local day; a Period without
	// reset times repeats from midnight. Location defaults to UTC.
	Resets   []time.Duration
	Period   time.Duration
	Location *time.Location
	// Sliding: window length and step.
	Window time.Duration
	Step   time.Duration
	// Selection: number of instances.
	Count int
}

// DefaultProfileName is the profile statistics use when they name none: Growing with a
// reset at midnight UTC unless the config defines "Default" itself.
const DefaultProfileName = "Default"

// TimeRange is a duration range [Lo, Hi] in milliseconds, used by *InTimeRange categories.
type TimeRange struct {
	Name   string
	Lo, Hi int64
}

// DefaultTimeRange returns the range used when a statistic that needs one names none: 0-20 s.
func DefaultTimeRange() *TimeRange { return &TimeRange{Name: "Default", Lo: 0, Hi: 20_000} }

// Filter is a named boolean expression over an action's data and attributes.
type Filter struct {
	Name string
	Expr string
}

// NotifyMode is how a statistic notifies subscribers.
type NotifyMode uint8

// Notification modes.
const (
	// NotifyChanges sends when the value moves by more than Insensitivity percent (0 = every change).
	NotifyChanges NotifyMode = iota
	// NotifyPeriodical sends every Period.
	NotifyPeriodical
	// NotifyReset sends at the profile's resets.
	NotifyReset
	// NotifyNone never sends; the value is read by peeking.
	NotifyNone
)

// Notification is a statistic's notification settings.
type Notification struct {
	Mode          NotifyMode
	Insensitivity float64
	Period        time.Duration
}

// ObjectRef names a statistic's object.
type ObjectRef struct {
	Type object.Type
	ID   string
}

// Statistic is a statistic to open: an id, an object, and its definition — stat type,
// profile, time range, filter and notification settings (Def), which the statistics
// with the same settings share. A config of a million statistics holds a million
// Statistics of 48 bytes and a few hundred definitions (Load shares them; NewStatistic
// reuses the config's). The definition's fields read as the Statistic's own
// (st.StatType, st.Profile, …); to change one, give the statistic a Def of its own
// (SetNotification), never change a Def in place.
type Statistic struct {
	ID     string
	Object ObjectRef
	*Def
}

// Def is a statistic's definition but its id and object (see Statistic). It is
// comparable: statistics with equal definitions share one.
type Def struct {
	StatType     *StatType
	Profile      *TimeProfile
	TimeRange    *TimeRange // nil when the category takes none
	Filter       *Filter    // nil when none
	Notification Notification
}

// SetNotification gives s the notification settings n, with a definition of its own:
// the one it had may be shared.
func (s *Statistic) SetNotification(n Notification) {
	d := *s.Def
	d.Notification = n
	s.Def = &d
}
