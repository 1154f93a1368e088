package gen

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/internal/yamlpos"
)

type rawSourceField struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Optional bool   `yaml:"optional"`
	Repeated bool   `yaml:"repeated"`
	Since    string `yaml:"since"`
	Summary  string `yaml:"summary"`
}

type rawSourceObject struct {
	Field      string   `yaml:"field"`
	None       []string `yaml:"none"`
	TrimPrefix []string `yaml:"trimPrefix"`
}

type rawSourceHead struct {
	Format    string `yaml:"format"`
	Title     string `yaml:"title"`
	Summary   string `yaml:"summary"`
	Wire      string `yaml:"wire"`
	Reference string `yaml:"reference"`
	Record    struct {
		Name []string `yaml:"name"`
		Time struct {
			Field    string `yaml:"field"`
			Received bool   `yaml:"received"`
		} `yaml:"time"`
		Interaction string           `yaml:"interaction"`
		Media       string           `yaml:"media"`
		Positional  bool             `yaml:"positional"`
		Fields      []rawSourceField `yaml:"fields"`
	} `yaml:"record"`
	Queue    rawSourceObject `yaml:"queue"`
	Agent    rawSourceObject `yaml:"agent"`
	Presence struct {
		ReasonKey string `yaml:"reasonKey"`
	} `yaml:"presence"`
}

type rawActionRef struct {
	Action  string `yaml:"action"`
	Variant string `yaml:"variant"`
}

type rawSourceCond struct {
	Field   string   `yaml:"field"`
	Is      []string `yaml:"is"`
	Not     []string `yaml:"not"`
	Present *bool    `yaml:"present"`
}

type rawSourceData struct {
	Key      string  `yaml:"key"`
	Field    string  `yaml:"field"`
	Value    *string `yaml:"value"`
	Pairs    string  `yaml:"pairs"`
	Prefix   string  `yaml:"prefix"`
	Assign   string  `yaml:"assign"`
	KeyField string  `yaml:"keyField"`
}

type rawSourceEmit struct {
	Action    string          `yaml:"action"`
	Variant   string          `yaml:"variant"`
	On        string          `yaml:"on"`
	Phase     string          `yaml:"phase"`
	NameAgent *bool           `yaml:"nameAgent"`
	Data      []rawSourceData `yaml:"data"`
	When      []rawSourceCond `yaml:"when"`
}

type rawSourceDuration struct {
	Field string `yaml:"field"`
	From  string `yaml:"from"`
	To    string `yaml:"to"`
	Since string `yaml:"since"`
}

type rawSourceOp struct {
	Op     string          `yaml:"op"`
	Scope  string          `yaml:"scope"`
	Slot   string          `yaml:"slot"`
	Reason *rawSourceData  `yaml:"reason"`
	Report *rawActionRef   `yaml:"report"`
	When   []rawSourceCond `yaml:"when"`
}

type rawSourceEvent struct {
	Name        string           `yaml:"name"`
	Summary     string           `yaml:"summary"`
	Fields      []rawSourceField `yaml:"fields"`
	Interaction string           `yaml:"interaction"`
	Note        string           `yaml:"note"`
}

// srcCtx positions errors inside one mapping file.
type srcCtx struct {
	b    *builder
	file string
	f    *SourceFormat
}

// errAt records an error at node n (or, when nil, at fallback), prefixed by label.
func (c *srcCtx) errAt(n, fallback *yaml.Node, label, format string, args ...any) {
	if n == nil {
		n = fallback
	}
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	c.b.errs = append(c.b.errs, yamlpos.Errorf(c.file, n, "%s", msg))
}

// at returns the value node of key in n, or n itself when absent.
func at(n *yaml.Node, keys ...string) *yaml.Node {
	cur := n
	for _, k := range keys {
		v := yamlpos.ValueNode(cur, k)
		if v == nil {
			return cur
		}
		cur = v
	}
	return cur
}

// item returns the i-th element of the list under key in n, or n when absent.
func item(n *yaml.Node, key string, i int) *yaml.Node {
	v := yamlpos.ValueNode(n, key)
	if v == nil || i >= len(v.Content) {
		return n
	}
	return v.Content[i]
}

// sources resolves the source mappings against the action table.
func (b *builder) sources(files []*parsed) {
	seen := map[string]string{}
	for _, p := range files {
		f := b.sourceFormat(p)
		if f == nil {
			continue
		}
		if prev, dup := seen[f.Name]; dup {
			b.errs = append(b.errs, yamlpos.Errorf(p.name, at(p.root, "format"), "format %s is also defined in %s", f.Name, prev))
			continue
		}
		seen[f.Name] = p.name
		b.m.Sources = append(b.m.Sources, f)
	}
	sort.Slice(b.m.Sources, func(i, j int) bool { return b.m.Sources[i].Name < b.m.Sources[j].Name })
}

// sourceFormat builds one mapping, nil when it has errors.
func (b *builder) sourceFormat(p *parsed) *SourceFormat {
	before := len(b.errs)
	var h rawSourceHead
	if err := p.root.Decode(&h); err != nil {
		b.errs = append(b.errs, yamlpos.Errorf(p.name, p.root, "%v", err))
		return nil
	}
	f := &SourceFormat{Name: h.Format, File: p.name, Title: h.Title, Summary: h.Summary, Wire: h.Wire,
		Reference: h.Reference, NameFields: h.Record.Name, TimeField: h.Record.Time.Field,
		TimeReceived: h.Record.Time.Received, Interaction: h.Record.Interaction, Media: h.Record.Media, Positional: h.Record.Positional,
		Queue: SourceObject(h.Queue), Agent: SourceObject(h.Agent)}
	c := &srcCtx{b: b, file: p.name, f: f}
	if want := formatFileName(f.Name); path.Base(p.name) != want {
		c.errAt(at(p.root, "format"), p.root, "", "format %s must be in a file named %s, not %s", f.Name, want, path.Base(p.name))
	}
	rec := at(p.root, "record")
	f.Fields = c.fields(h.Record.Fields, yamlpos.ValueNode(rec, "fields"), "record", nil)
	for i, n := range f.NameFields {
		c.needField(nil, n, item(rec, "name", i), "record.name", "")
	}
	if fd := c.needField(nil, f.TimeField, at(rec, "time", "field"), "record.time", ""); fd != nil && !isEpoch(fd.Type) {
		c.errAt(at(rec, "time", "field"), rec, "record.time", "field %s is %s; the time needs an epoch or epochMicros field", fd.Name, fd.Type)
	}
	if f.Interaction != "" {
		c.needField(nil, f.Interaction, at(rec, "interaction"), "record.interaction", "")
	}
	c.needField(nil, f.Queue.Field, at(p.root, "queue", "field"), "queue", "")
	c.needField(nil, f.Agent.Field, at(p.root, "agent", "field"), "agent", "")
	c.presence(at(p.root, "presence"), h.Presence.ReasonKey)
	events := yamlpos.ValueNode(p.root, "events")
	names := map[string]*yaml.Node{}
	if events != nil {
		for _, n := range events.Content {
			if ev := c.event(n); ev != nil {
				if prev, dup := names[ev.Name]; dup {
					c.errAt(at(n, "name"), n, sourceEventLabel(n), "duplicate event (first defined at line %d)", prev.Line)
					continue
				}
				names[ev.Name] = n
				f.Events = append(f.Events, ev)
			}
		}
	}
	if len(b.errs) > before {
		return nil
	}
	return f
}

// fields resolves a field list; record are the record's fields when resolving an event's.
func (c *srcCtx) fields(raw []rawSourceField, list *yaml.Node, label string, record []*SourceField) []*SourceField {
	out := make([]*SourceField, 0, len(raw))
	seen := map[string]bool{}
	for _, r := range record {
		seen[r.Name] = true
	}
	for i, r := range raw {
		n := list
		if list != nil && i < len(list.Content) {
			n = list.Content[i]
		}
		if seen[r.Name] {
			where := "declared twice"
			if record != nil {
				where = "already a field of every record"
			}
			c.errAt(at(n, "name"), n, label, "field %s is %s", r.Name, where)
			continue
		}
		seen[r.Name] = true
		if r.Type == "" {
			r.Type = "text"
		}
		out = append(out, &SourceField{Name: r.Name, Type: r.Type, Optional: r.Optional, Repeated: r.Repeated, Since: r.Since, Summary: r.Summary})
	}
	return out
}

// needField returns the field name of ev (or of every record when ev is nil), reporting
// an undeclared one at n.
func (c *srcCtx) needField(ev *SourceEvent, name string, n *yaml.Node, label, what string) *SourceField {
	fd := c.f.Field(ev, name)
	if fd == nil {
		if what == "" {
			what = "field"
		}
		where := "in record.fields"
		if ev != nil {
			where = "for this event (record.fields or its fields)"
		}
		c.errAt(n, n, label, "%s %s is not declared %s", what, name, where)
	}
	return fd
}

func isEpoch(t string) bool    { return t == "epoch" || t == "epochMicros" }
func isDuration(t string) bool { return t == "seconds" || t == "milliseconds" }

// presenceRoles are the presence actions: key, class, kind.
var presenceRoles = []struct{ key, class, kind string }{
	{"login", "regular_dn", "durable"},
	{"loginMoment", "regular_dn", "momentary"},
	{"logout", "regular_dn", "retrospective"},
	{"queueLogin", "mediation_dn", "durable"},
	{"queueReady", "mediation_dn", "durable"},
	{"ready", "regular_dn", "durable"},
	{"notReady", "regular_dn", "durable"},
}

// presence resolves the presence section.
func (c *srcCtx) presence(n *yaml.Node, reasonKey string) {
	p := &c.f.Presence
	p.ReasonKey = reasonKey
	dst := map[string]**Action{"login": &p.Login, "loginMoment": &p.LoginMoment, "logout": &p.Logout,
		"queueLogin": &p.QueueLogin, "queueReady": &p.QueueReady, "ready": &p.Ready, "notReady": &p.NotReady}
	for _, r := range presenceRoles {
		rn := yamlpos.ValueNode(n, r.key)
		if rn == nil {
			continue
		}
		var ref rawActionRef
		if err := rn.Decode(&ref); err != nil {
			c.errAt(rn, rn, "presence."+r.key, "%v", err)
			continue
		}
		a := c.action(ref, rn, "presence."+r.key, r.class)
		if a == nil {
			continue
		}
		if a.Kind != r.kind {
			c.errAt(at(rn, "action"), rn, "presence."+r.key, "%s is %s; presence.%s needs a %s action", a.Key(), a.Kind, r.key, r.kind)
			continue
		}
		*dst[r.key] = a
	}
	if p.Login == nil && (p.LoginMoment != nil || p.Logout != nil || p.QueueLogin != nil || p.QueueReady != nil || p.Ready != nil || p.NotReady != nil) {
		c.errAt(n, n, "presence", "the other presence actions need presence.login")
	}
	if p.QueueReady != nil && p.QueueLogin == nil {
		c.errAt(at(n, "queueReady"), n, "presence", "queueReady needs queueLogin")
	}
}

// action resolves an action reference on a source class: the row with the variant, or
// without one the row that occurs on the class (preferring one without DN types).
func (c *srcCtx) action(ref rawActionRef, n *yaml.Node, label, class string) *Action {
	cl := c.b.classes[class]
	var named, onClass []*Action
	for _, a := range c.b.m.Actions {
		if a.Name != ref.Action {
			continue
		}
		named = append(named, a)
		if cl != nil && contains(a.Sources, cl) && (ref.Variant == "" || a.Variant == ref.Variant) {
			onClass = append(onClass, a)
		}
	}
	an, vn := at(n, "action"), at(n, "variant")
	switch {
	case len(named) == 0:
		c.errAt(an, n, label, "unknown action %q (see spec/actions.yaml)", ref.Action)
		return nil
	case ref.Variant != "" && !hasVariant(named, ref.Variant):
		c.errAt(vn, n, label, "action %s has no variant %q (variants: %s)", ref.Action, ref.Variant, variantsOf(named))
		return nil
	case len(onClass) == 0:
		c.errAt(an, n, label, "%s does not occur on %s sources (it occurs on %s)", refKey(ref), class, classesOf(named))
		return nil
	}
	best := onClass[0]
	for _, a := range onClass[1:] {
		if len(best.DNTypes) > 0 && len(a.DNTypes) == 0 {
			best = a
		}
	}
	return best
}

func refKey(r rawActionRef) string {
	if r.Variant == "" {
		return r.Action
	}
	return r.Action + " (" + r.Variant + ")"
}

func hasVariant(list []*Action, v string) bool {
	for _, a := range list {
		if a.Variant == v {
			return true
		}
	}
	return false
}

func variantsOf(list []*Action) string {
	var out []string
	for _, a := range list {
		if a.Variant != "" {
			out = append(out, fmt.Sprintf("%q", a.Variant))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func classesOf(list []*Action) string {
	seen := map[string]bool{}
	var out []string
	for _, a := range list {
		for _, c := range a.Sources {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name)
			}
		}
	}
	return strings.Join(out, ", ")
}

// event builds one event entry.
func (c *srcCtx) event(n *yaml.Node) *SourceEvent {
	label := sourceEventLabel(n)
	var r rawSourceEvent
	if err := n.Decode(&r); err != nil {
		c.errAt(n, n, label, "%v", err)
		return nil
	}
	ev := &SourceEvent{Name: r.Name, Summary: r.Summary, Note: r.Note, Interaction: r.Interaction}
	ev.Fields = c.fields(r.Fields, yamlpos.ValueNode(n, "fields"), label, c.f.Fields)
	if ev.Interaction != "" {
		c.needField(ev, ev.Interaction, at(n, "interaction"), label, "")
	}
	if list := yamlpos.ValueNode(n, "emit"); list != nil {
		for i, en := range list.Content {
			if e := c.emit(ev, en, fmt.Sprintf("%s: emit[%d]", label, i)); e != nil {
				ev.Emits = append(ev.Emits, e)
			}
		}
	}
	if list := yamlpos.ValueNode(n, "presence"); list != nil {
		for i, on := range list.Content {
			if op := c.op(ev, on, fmt.Sprintf("%s: presence[%d]", label, i)); op != nil {
				ev.Ops = append(ev.Ops, op)
			}
		}
	}
	if yamlpos.ValueNode(n, "emit") == nil && yamlpos.ValueNode(n, "presence") == nil && ev.Note == "" {
		c.errAt(at(n, "name"), n, label, "an event that emits nothing and changes no presence needs a note saying why")
	}
	return ev
}

// targetClass is the source class of an emit target.
func targetClass(on string) string {
	switch on {
	case "queue":
		return "mediation_dn"
	case "agent":
		return "regular_dn"
	}
	return ""
}

// emit builds and checks one emitted action.
func (c *srcCtx) emit(ev *SourceEvent, n *yaml.Node, label string) *SourceEmit {
	var r rawSourceEmit
	var rd struct {
		Duration *rawSourceDuration `yaml:"duration"`
	}
	if err := n.Decode(&r); err != nil {
		c.errAt(n, n, label, "%v", err)
		return nil
	}
	if err := n.Decode(&rd); err != nil {
		c.errAt(n, n, label, "%v", err)
		return nil
	}
	e := &SourceEmit{On: r.On, Phase: r.Phase, Variant: r.Variant != ""}
	ok := true
	var a *Action
	if r.On == "call" {
		a = c.callAction(rawActionRef{r.Action, r.Variant}, n, label)
	} else {
		a = c.action(rawActionRef{r.Action, r.Variant}, n, label, targetClass(r.On))
	}
	if a == nil {
		return nil
	}
	e.Action = a
	pn := at(n, "phase")
	switch {
	case a.Kind == "durable" && r.Phase == "":
		c.errAt(at(n, "action"), n, label, "%s is durable: phase start, end or update is required", a.Key())
		ok = false
	case a.Kind != "durable" && r.Phase != "":
		c.errAt(pn, n, label, "%s is %s: phase is only for durable actions", a.Key(), a.Kind)
		ok = false
	case r.Phase == "update" && r.On != "call":
		c.errAt(at(n, "on"), n, label, "an update goes to the instances in progress for the interaction: on must be call")
		ok = false
	case r.On == "call" && r.Phase != "update":
		c.errAt(at(n, "on"), n, label, "on: call is only for updates (phase update)")
		ok = false
	}
	dn := at(n, "duration")
	switch {
	case a.Kind == "retrospective" && rd.Duration == nil:
		c.errAt(at(n, "action"), n, label, "%s is retrospective: a duration is required", a.Key())
		ok = false
	case a.Kind != "retrospective" && rd.Duration != nil:
		c.errAt(dn, n, label, "%s is %s: duration is only for retrospective actions", a.Key(), a.Kind)
		ok = false
	case rd.Duration != nil:
		d, dok := c.duration(ev, *rd.Duration, dn, label)
		e.Duration = d
		ok = ok && dok
	}
	e.NameAgent = r.On == "agent"
	if r.NameAgent != nil {
		e.NameAgent = *r.NameAgent
	}
	if r.On == "call" && r.NameAgent != nil {
		c.errAt(at(n, "nameAgent"), n, label, "an update keeps the agent of the instance it updates; nameAgent does not apply")
		ok = false
	}
	e.When, ok = c.conds(ev, r.When, yamlpos.ValueNode(n, "when"), label, ok)
	for i, rd := range r.Data {
		d, dok := c.data(ev, rd, item(n, "data", i), label+": data["+fmt.Sprint(i)+"]", true)
		if dok {
			e.Data = append(e.Data, d)
		}
		ok = ok && dok
	}
	if ok {
		ok = c.guarded(ev, e, n, label)
	}
	if !ok {
		return nil
	}
	return e
}

// callAction resolves the action of an update: a durable, interaction-related action.
func (c *srcCtx) callAction(ref rawActionRef, n *yaml.Node, label string) *Action {
	var found *Action
	for _, a := range c.b.m.Actions {
		if a.Name == ref.Action && (ref.Variant == "" || a.Variant == ref.Variant) {
			if found == nil || (len(found.DNTypes) > 0 && len(a.DNTypes) == 0) {
				found = a
			}
		}
	}
	if found == nil {
		c.errAt(at(n, "action"), n, label, "unknown action %q (see spec/actions.yaml)", refKey(ref))
		return nil
	}
	if found.Kind != "durable" || !found.Interaction {
		c.errAt(at(n, "action"), n, label, "%s is %s%s: only a durable, interaction-related action is updated for a call", found.Key(), found.Kind,
			map[bool]string{true: "", false: " and not interaction-related"}[found.Interaction])
		return nil
	}
	return found
}

// duration checks a duration's shape and its fields' types.
func (c *srcCtx) duration(ev *SourceEvent, r rawSourceDuration, n *yaml.Node, label string) (SourceDuration, bool) {
	d := SourceDuration(r)
	switch {
	case d.Field != "" && d.From == "" && d.To == "" && d.Since == "":
		fd := c.needField(ev, d.Field, at(n, "field"), label, "duration field")
		if fd != nil && !isDuration(fd.Type) {
			c.errAt(at(n, "field"), n, label, "duration field %s is %s; it must be seconds or milliseconds", fd.Name, fd.Type)
			return d, false
		}
		return d, fd != nil
	case d.Field == "" && d.From != "" && d.To != "" && d.Since == "":
		ok := true
		for _, k := range []string{"from", "to"} {
			name := d.From
			if k == "to" {
				name = d.To
			}
			fd := c.needField(ev, name, at(n, k), label, "duration "+k+" field")
			if fd != nil && !isEpoch(fd.Type) {
				c.errAt(at(n, k), n, label, "duration %s field %s is %s; it must be epoch or epochMicros", k, fd.Name, fd.Type)
				fd = nil
			}
			ok = ok && fd != nil
		}
		return d, ok
	case d.Field == "" && d.From == "" && d.To == "" && d.Since != "":
		fd := c.needField(ev, d.Since, at(n, "since"), label, "duration since field")
		if fd != nil && !isEpoch(fd.Type) {
			c.errAt(at(n, "since"), n, label, "duration since field %s is %s; it must be epoch or epochMicros", fd.Name, fd.Type)
			return d, false
		}
		return d, fd != nil
	}
	c.errAt(n, n, label, "a duration is one of {field}, {from, to} or {since}")
	return d, false
}

// guarded requires a presence condition on every optional field a duration reads: a
// retrospective action without its duration cannot be reported.
func (c *srcCtx) guarded(ev *SourceEvent, e *SourceEmit, n *yaml.Node, label string) bool {
	ok := true
	for _, name := range []string{e.Duration.Field, e.Duration.From, e.Duration.To, e.Duration.Since} {
		if name == "" {
			continue
		}
		fd := c.f.Field(ev, name)
		if fd == nil || !fd.Optional {
			continue
		}
		guarded := false
		for _, w := range e.When {
			if w.Field == name && ((w.Present != nil && *w.Present) || len(w.Is) > 0) {
				guarded = true
			}
		}
		if !guarded {
			c.errAt(at(n, "duration"), n, label, "the duration reads optional field %s: add when: [{field: %s, present: true}]", name, name)
			ok = false
		}
	}
	return ok
}

// conds resolves conditions; ok is ANDed with their validity.
func (c *srcCtx) conds(ev *SourceEvent, raw []rawSourceCond, list *yaml.Node, label string, ok bool) ([]SourceCond, bool) {
	var out []SourceCond
	for i, r := range raw {
		n := list
		if list != nil && i < len(list.Content) {
			n = list.Content[i]
		}
		if c.needField(ev, r.Field, at(n, "field"), label+": when["+fmt.Sprint(i)+"]", "") == nil {
			ok = false
			continue
		}
		out = append(out, SourceCond(r))
	}
	return out, ok
}

// data checks one data item; keyed says whether it belongs to an emit (key allowed).
func (c *srcCtx) data(ev *SourceEvent, r rawSourceData, n *yaml.Node, label string, keyed bool) (SourceData, bool) {
	d := SourceData{Key: r.Key, Field: r.Field, Pairs: r.Pairs, Prefix: r.Prefix, Assign: r.Assign, KeyField: r.KeyField}
	if r.Value != nil {
		d.Value = *r.Value
	}
	kinds := 0
	for _, set := range []bool{r.Field != "" && r.KeyField == "", r.Value != nil, r.Pairs != "", r.Prefix != "", r.Assign != "", r.KeyField != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		c.errAt(n, n, label, "a data item is one of {key, field}, {key, value}, {pairs}, {prefix}, {assign} or {keyField, field}")
		return d, false
	case r.KeyField != "" && r.Field == "":
		c.errAt(n, n, label, "keyField needs field, the field holding the value")
		return d, false
	case keyed && (r.Field != "" && r.KeyField == "" || r.Value != nil) && r.Key == "":
		c.errAt(n, n, label, "a field or value item needs a key")
		return d, false
	case (!keyed || r.Pairs != "" || r.Prefix != "" || r.Assign != "" || r.KeyField != "") && r.Key != "":
		c.errAt(at(n, "key"), n, label, "key does not apply here: the key comes from the platform's variable name, or there is none")
		return d, false
	}
	ok := true
	for _, f := range []struct{ name, what string }{{r.Field, "field"}, {r.Pairs, "pairs field"}, {r.Assign, "assign field"}, {r.KeyField, "keyField"}} {
		if f.name == "" {
			continue
		}
		key := strings.Fields(f.what)[0]
		fd := c.needField(ev, f.name, at(n, key), label, f.what)
		if fd == nil {
			ok = false
			continue
		}
		if f.what == "pairs field" && !fd.Repeated {
			c.errAt(at(n, "pairs"), n, label, "pairs reads every NAME=value occurrence of a field: declare %s repeated", fd.Name)
			ok = false
		}
	}
	return d, ok
}

// op builds one presence operation.
func (c *srcCtx) op(ev *SourceEvent, n *yaml.Node, label string) *SourceOp {
	var r rawSourceOp
	if err := n.Decode(&r); err != nil {
		c.errAt(n, n, label, "%v", err)
		return nil
	}
	op := &SourceOp{Op: r.Op, All: r.Scope == "all", Slot: r.Slot}
	ok := true
	pausing := r.Op == "pause" || r.Op == "unpause"
	if c.f.Presence.Login == nil && r.Op != "clearCalls" {
		c.errAt(at(n, "op"), n, label, "%s changes agent presence, which needs presence.login", r.Op)
		ok = false
	}
	switch {
	case r.Scope != "" && !pausing:
		c.errAt(at(n, "scope"), n, label, "scope is only for pause and unpause")
		ok = false
	case r.Slot != "" && r.Scope != "all":
		c.errAt(at(n, "slot"), n, label, "a slot names an agent-wide pause: it needs scope all")
		ok = false
	case r.Reason != nil && r.Op != "pause":
		c.errAt(at(n, "reason"), n, label, "reason is only for pause")
		ok = false
	case r.Report != nil && r.Op != "clearCalls":
		c.errAt(at(n, "report"), n, label, "report is only for clearCalls")
		ok = false
	}
	if op.All && op.Slot == "" {
		op.Slot = "pause"
	}
	if r.Reason != nil {
		rr := r.Reason
		d, dok := c.data(ev, *rr, at(n, "reason"), label+": reason", false)
		if dok && (rr.Pairs != "" || rr.Prefix != "" || rr.Assign != "" || rr.KeyField != "") {
			c.errAt(at(n, "reason"), n, label, "a reason is {field} or {value}")
			dok = false
		}
		op.Reason = &d
		ok = ok && dok
	}
	if r.Report != nil {
		rn := at(n, "report")
		a := c.action(*r.Report, rn, label+": report", "mediation_dn")
		switch {
		case a == nil:
			ok = false
		case a.Kind != "retrospective":
			c.errAt(at(rn, "action"), rn, label+": report", "%s is %s; a clearCalls report is retrospective (it carries the time the call had lasted)", a.Key(), a.Kind)
			ok = false
		default:
			op.Report = a
		}
	}
	op.When, ok = c.conds(ev, r.When, yamlpos.ValueNode(n, "when"), label, ok)
	if !ok {
		return nil
	}
	return op
}
