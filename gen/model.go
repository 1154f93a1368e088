package gen

import (
	"strings"
	"unicode"
)

// Model is the validated spec: every reference resolved, in spec order.
type Model struct {
	Classes    []*Class
	Types      []*ObjectType
	Groups     []*Group
	DNTypes    []*DNType
	Actions    []*Action
	Tables     []*StatusTable
	Categories []*Category
	Subjects   []*Subject
	Sources    []*SourceFormat // spec/sources/*.yaml, in format name order
	Sections   []*DocSection   // of docs/categories.md
}

// DocSection is a section of docs/categories.md after the definitions: a title and its
// Markdown text.
type DocSection struct {
	Title string
	Text  string
}

// Class is an action-source class (a column of the seed table).
type Class struct {
	Name       string // e.g. regular_dn
	Title      string
	SeedColumn string   // the seed's column heading; empty when the seed has none
	Variants   []string // the seed's row qualifiers that name the class ("Regular DNs")
	Summary    string
	Reaches    []*ObjectType
}

// GoName is the Go identifier suffix of the class, e.g. RegularDN.
func (c *Class) GoName() string { return goIdent(c.Name) }

// ObjectType is a statistic object type.
type ObjectType struct {
	Name    string
	Summary string
}

// Group is a compatibility group of object types.
type Group struct {
	Name  string
	Types []*ObjectType
}

// DNType is a kind of DN in the topology, with its source class and object type.
type DNType struct {
	Name       string
	Class      *Class
	ObjectType *ObjectType
}

// Action is one row of the action table.
type Action struct {
	Name        string
	Variant     string
	SeedName    string // the seed's spelling when it differs from Name
	Family      bool
	Sources     []*Class
	DNTypes     []*DNType
	Kind        string // durable | momentary | retrospective
	Interaction bool
	Roles       []string
	Summary     string
	Note        string
	Origin      string // seed (a row of the Stat Server table) | local (an extension of this installation)
}

// Origins of an action row.
const (
	OriginSeed  = "seed"
	OriginLocal = "local"
)

// Local reports whether the action is a local extension: a row the Stat Server's action
// table (the seed) does not have, marked origin: local in the spec.
func (a *Action) Local() bool { return a.Origin == OriginLocal }

// Key is the action's display key: "Name" or "Name (Variant)".
func (a *Action) Key() string {
	if a.Variant == "" {
		return a.Name
	}
	return a.Name + " (" + a.Variant + ")"
}

// GoName is the Go constant name of the action: Name plus Variant, letters and digits only.
func (a *Action) GoName() string { return goIdent(a.Name + " " + a.Variant) }

// Anchor is the stable Markdown anchor of the action in docs/actions.md.
func (a *Action) Anchor() string { return "action-" + slug(a.Key()) }

// Reaches reports the object types the action reaches through any of its source classes,
// in the order of the model's types.
func (a *Action) Reaches(m *Model) []*ObjectType {
	var out []*ObjectType
	for _, t := range m.Types {
		for _, c := range a.Sources {
			if contains(c.Reaches, t) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// StatusTable is a status priority table, statuses lowest priority first.
type StatusTable struct {
	Name     string
	Class    *Class
	Objects  []*ObjectType
	Summary  string
	Statuses []*Action
}

// Category is a statistical category; the order of Model.Categories is the library order.
type Category struct {
	Name       string
	Kind       string // historical | current | other
	Value      string // seconds | count | percent | ratio | rate | custom | structured
	RelMask    bool
	TimeRange  bool
	Formula    bool
	Status     string // implemented | planned | unsupported
	Definition string
	Example    string
	// Details is Markdown the reference shows after the example: a method and its
	// measured quality, choices the definition leaves to it ("" for most categories).
	Details string
}

// Anchor is the stable Markdown anchor of the category in docs/categories.md.
func (c *Category) Anchor() string { return "category-" + slug(c.Name) }

// Subject is a statistic subject (what is counted: actions or statuses of some source).
type Subject struct {
	Name       string
	Objects    []*ObjectType
	Status     bool
	Definition string
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// goIdent turns "regular_dn", "ASM_Engaged", "CallAnswered Virtual Queues" into
// "RegularDN"-style identifiers: words capitalised, separators dropped, "dn" upper-cased.
func goIdent(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == ' ' || r == '-' }) {
		switch strings.ToLower(w) {
		case "dn":
			w = "DN"
		case "dns":
			w = "DNs"
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// slug lower-cases s and keeps letters and digits, joining runs of others with "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}
