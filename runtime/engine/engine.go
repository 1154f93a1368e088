package engine

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/generated/status"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// The engine answers the event decoder's topology questions.
var _ event.Resolver = (*Engine)(nil)

// noObj is the index of no object.
const noObj int32 = -1

// subjKind is the engine's grouping of subjects: which input a statistic listens to.
type subjKind uint8

const (
	// subjAction: actions delivered to the object (DNAction).
	subjAction subjKind = iota
	// subjDN: statuses of the object's DNs (DNStatus).
	subjDN
	// subjAgent: statuses of agents (AgentStatus).
	subjAgent
	// subjPlace: statuses of places (PlaceStatus).
	subjPlace
	nSubjKinds
)

// objKey names an object in the topology.
type objKey struct {
	typ object.Type
	id  string
}

// login is one DN an agent is logged in on, and since when.
type login struct {
	dn int32
	at event.Time
}

// obj is one topology object, with its static links and its live state.
type obj struct {
	typ    object.Type
	id     string
	tenant int32 // the Tenant object
	place  int32 // RegDN: its Place, noObj when none
	// groups are the groups containing the object: GroupAgents of an agent, GroupPlaces of
	// a place, GroupQueues of a queue or routing point.
	groups []int32
	dns    []int32 // Place: its regular DNs, in topology order
	agents []int32 // GroupAgents, Tenant: member agents
	places []int32 // GroupPlaces, Tenant: member places

	logged []int32 // RegDN: agents logged in on it
	logins []login // Agent: DNs it is logged in on, in login order
	inprog []int32 // durable instances in progress delivered to the object

	// status is the object's status (RegDN, Queue, RoutePoint, Place, Agent), action.None
	// when no status action is in progress; since is when it last changed.
	status action.ID
	since  event.Time
	table  status.Table
	dnType object.DNType // DNs: the DN's type

	mark uint32               // de-duplication stamp of target collection
	idx  [nSubjKinds]actIndex // open statistics on the object, by subject kind and mask action
}

// instKey identifies a durable action instance: source object, action, interaction.
type instKey struct {
	class object.SourceClass
	act   action.ID
	src   string
	ixn   string
}

// inst is a durable action instance in progress.
type inst struct {
	key   instKey
	start event.Time
	src   int32 // the source DN (RegDN, Queue, RoutePoint), noObj for other sources
	agent int32 // the agent this login instance logged in, noObj otherwise
	media string
	data  event.Data
	// targets are the objects the start was delivered to (the end goes to the same ones);
	// pos[i] is the instance's index in targets[i].inprog.
	targets []int32
	pos     []int32
}

// Engine turns a time-ordered stream of action events into statistic values. It keeps
// the topology, the durable instances in progress, object statuses and the open
// statistics, all in event time: the engine never reads the wall clock, so the same
// events give the same values.
//
// An Engine is not safe for concurrent use; a server serialises calls (one event loop).
type Engine struct {
	objs    []obj
	byKey   map[objKey]int32
	dnByID  map[string]int32
	tenant0 int32 // the default tenant

	insts    []inst
	freeInst []int32
	live     map[instKey]int32

	stats    []stat
	freeStat []int32
	byID     map[string]int32
	order    []int32 // open statistics in open order
	dirty    []int32 // statistics touched since the last Changed
	windows  map[*config.TimeProfile]window
	// defaultProfile is used by statistics that name no profile.
	defaultProfile *config.TimeProfile

	clock   event.Time
	started bool

	loggedOut action.ID // the action whose status an agent logged in nowhere has
	tg        []int32   // scratch: targets of the event being applied
	gen       uint32
}

// New builds an engine for cfg's topology and opens cfg.Statistics under their ids, in
// config order. The engine's clock starts at the first event (or Advance); statistics
// opened before that are not clipped: their interval starts at the profile's last reset
// before the first event.
func New(cfg *config.Config) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("engine: nil config")
	}
	e := &Engine{
		byKey:   map[objKey]int32{},
		dnByID:  map[string]int32{},
		live:    map[instKey]int32{},
		byID:    map[string]int32{},
		windows: map[*config.TimeProfile]window{},
		defaultProfile: &config.TimeProfile{
			Name: config.DefaultProfileName, Type: config.ProfileGrowing,
			Resets: []time.Duration{0}, Location: time.UTC,
		},
	}
	if r := action.RoleLoggedOut.Actions(); len(r) > 0 {
		e.loggedOut = r[0]
	}
	if err := e.build(&cfg.Topology); err != nil {
		return nil, fmt.Errorf("engine: topology: %w", err)
	}
	var errs []error
	for _, st := range cfg.Statistics {
		if err := e.Open(st); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return e, nil
}

// build indexes the topology.
func (e *Engine) build(t *config.Topology) error {
	def := t.Tenant
	if def == "" {
		def = config.DefaultTenant
	}
	e.tenant0 = e.tenantObj(def)
	for _, name := range t.Tenants {
		e.tenantObj(name)
	}
	tenantOf := func(name string) int32 {
		if name == "" {
			return e.tenant0
		}
		return e.tenantObj(name)
	}
	var errs []error
	add := func(typ object.Type, id, tenant string) int32 {
		k := objKey{typ, id}
		if _, dup := e.byKey[k]; dup {
			errs = append(errs, fmt.Errorf("duplicate %s %q", typ, id))
			return noObj
		}
		i := e.newObj(typ, id, tenantOf(tenant))
		e.byKey[k] = i
		return i
	}
	for _, p := range t.Places {
		if i := add(object.TypePlace, p.ID, p.Tenant); i != noObj {
			e.objs[e.objs[i].tenant].places = append(e.objs[e.objs[i].tenant].places, i)
		}
	}
	for _, d := range t.DNs {
		typ := d.Type.ObjectType()
		if !typ.Valid() {
			errs = append(errs, fmt.Errorf("DN %q: unknown DN type %v", d.ID, d.Type))
			continue
		}
		if _, dup := e.dnByID[d.ID]; dup {
			errs = append(errs, fmt.Errorf("duplicate DN %q", d.ID))
			continue
		}
		i := add(typ, d.ID, d.Tenant)
		if i == noObj {
			continue
		}
		e.dnByID[d.ID] = i
		e.objs[i].dnType = d.Type
		if d.Place == "" {
			continue
		}
		if typ != object.TypeRegDN {
			errs = append(errs, fmt.Errorf("DN %q: a %s DN has no place", d.ID, d.Type))
			continue
		}
		p, ok := e.byKey[objKey{object.TypePlace, d.Place}]
		if !ok {
			errs = append(errs, fmt.Errorf("DN %q: unknown place %q", d.ID, d.Place))
			continue
		}
		e.objs[i].place = p
		e.objs[p].dns = append(e.objs[p].dns, i)
	}
	for _, a := range t.Agents {
		if i := add(object.TypeAgent, a.ID, a.Tenant); i != noObj {
			ten := e.objs[i].tenant
			e.objs[ten].agents = append(e.objs[ten].agents, i)
			e.objs[i].status = e.loggedOut
		}
	}
	for _, s := range t.StagingAreas {
		add(object.TypeStagingArea, s.ID, s.Tenant)
	}
	for _, w := range t.Workbins {
		add(object.TypeWorkbin, w.ID, w.Tenant)
	}
	groups := []struct {
		list    []*config.Group
		typ     object.Type
		members []object.Type
	}{
		{t.AgentGroups, object.TypeGroupAgents, []object.Type{object.TypeAgent}},
		{t.PlaceGroups, object.TypeGroupPlaces, []object.Type{object.TypePlace}},
		{t.QueueGroups, object.TypeGroupQueues, []object.Type{object.TypeQueue, object.TypeRoutePoint}},
	}
	for _, gs := range groups {
		for _, g := range gs.list {
			gi := add(gs.typ, g.ID, g.Tenant)
			if gi == noObj {
				continue
			}
			for _, m := range g.Members {
				mi := noObj
				for _, mt := range gs.members {
					if i, ok := e.byKey[objKey{mt, m}]; ok {
						mi = i
						break
					}
				}
				if mi == noObj {
					errs = append(errs, fmt.Errorf("%s %q: unknown member %q", gs.typ, g.ID, m))
					continue
				}
				e.objs[mi].groups = append(e.objs[mi].groups, gi)
				switch gs.typ {
				case object.TypeGroupAgents:
					e.objs[gi].agents = append(e.objs[gi].agents, mi)
				case object.TypeGroupPlaces:
					e.objs[gi].places = append(e.objs[gi].places, mi)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// tenantObj returns the Tenant object named name, creating it.
func (e *Engine) tenantObj(name string) int32 {
	k := objKey{object.TypeTenant, name}
	if i, ok := e.byKey[k]; ok {
		return i
	}
	i := e.newObj(object.TypeTenant, name, noObj)
	e.objs[i].tenant = i
	e.byKey[k] = i
	return i
}

func (e *Engine) newObj(typ object.Type, id string, tenant int32) int32 {
	e.objs = append(e.objs, obj{typ: typ, id: id, tenant: tenant, place: noObj, table: status.ForType(typ)})
	return int32(len(e.objs) - 1)
}

// find returns the object of type typ named id.
func (e *Engine) find(typ object.Type, id string) (int32, bool) {
	i, ok := e.byKey[objKey{typ, id}]
	return i, ok
}

// DNType returns the type of DN id, and false when id is no DN of the topology. With
// Known, it makes an Engine an event.Resolver, so the decoder can resolve DN-type
// variants (virtual queues) and reject unknown objects early.
func (e *Engine) DNType(id string) (object.DNType, bool) {
	if i, ok := e.dnByID[id]; ok {
		return e.objs[i].dnType, true
	}
	return object.DNNone, false
}

// Known reports whether the topology has a source object id of class class. Any id is
// known for media channels: an event names the channel's agent or place, which Apply
// checks.
func (e *Engine) Known(class object.SourceClass, id string) bool {
	if class == object.ClassMediaChannel {
		return true
	}
	return e.sourceKnown(event.Source{Class: class, ID: id})
}

// Now returns the engine clock: the time of the latest event or Advance (0 before any).
func (e *Engine) Now() event.Time { return e.clock }

// Advance moves the clock forward to t without an event, so that current values grow and
// Growing profiles reset. A t before the clock is ignored.
func (e *Engine) Advance(t event.Time) {
	if e.started && t < e.clock {
		return
	}
	e.tick(t)
}

// tick sets the clock to t (≥ the clock), starting the engine on the first call.
func (e *Engine) tick(t event.Time) {
	if !e.started {
		e.begin(t)
	}
	e.clock = t
}

// begin starts the clock at t: statuses hold since t. Statistics opened before the first
// event are not clipped (opened = minTime): their interval starts at the last reset.
func (e *Engine) begin(t event.Time) {
	e.started = true
	for i := range e.objs {
		e.objs[i].since = t
	}
	for _, si := range e.order {
		s := &e.stats[si]
		s.runStart, s.end = t, minTime
	}
}

// Statistics returns the open statistics in the order they were opened.
func (e *Engine) Statistics() []*config.Statistic {
	out := make([]*config.Statistic, len(e.order))
	for i, si := range e.order {
		out[i] = e.stats[si].cfg
	}
	return out
}

// Changed appends to dst the ids of the statistics whose inputs changed since the
// previous call (an action counted by a historical statistic completed, a durable
// instance counted by a current one started or ended, a member's status moved in or out
// of a status statistic's mask), in the order they were first touched, and clears that
// set. It is the hook for change notifications. Values also change without being listed
// here: current and in-progress times grow with the clock, and Growing resets are applied
// lazily when a statistic is next updated or read.
func (e *Engine) Changed(dst []string) []string {
	for _, si := range e.dirty {
		s := &e.stats[si]
		if s.open && s.dirty {
			dst = append(dst, s.cfg.ID)
		}
		s.dirty = false
	}
	e.dirty = e.dirty[:0]
	return dst
}

// touch marks statistic si changed.
func (e *Engine) touch(si int32, s *stat) {
	if !s.dirty {
		s.dirty = true
		e.dirty = append(e.dirty, si)
	}
}

// supports reports whether the engine computes category c, and whether c accepts the
// status subjects (DNStatus, AgentStatus, PlaceStatus) and is structured.
func supports(c category.Category) (ok, status, structured bool) {
	switch c {
	case category.TotalNumber, category.TotalTime, category.TotalAdjustedNumber, category.TotalAdjustedTime,
		category.AverageTime, category.MaxTime, category.MinTime,
		category.CurrentNumber, category.CurrentTime, category.CurrentMaxTime, category.CurrentMinTime,
		category.CurrentAverageTime, category.CurrentContinuousTime:
		return true, true, false
	case category.CurrentDistinctNumber:
		return true, false, false
	case category.CurrentState:
		return true, true, true
	}
	return false, false, false
}

// stateTypes are the object types CurrentState is computed for.
var stateTypes = object.TypeSetOf(object.TypeRegDN, object.TypeQueue, object.TypeRoutePoint, object.TypePlace, object.TypeAgent)

// Open opens statistic st at the current clock; it accumulates from now on (durable
// actions already in progress are clipped to this instant). It fails for a duplicate id,
// an unknown object, a category, subject or object type the engine does not compute, a
// profile other than Growing, or a filter (profiles and filters beyond Growing are planned).
func (e *Engine) Open(st *config.Statistic) error {
	if st == nil || st.StatType == nil {
		return errors.New("open statistic: no stat type")
	}
	if err := e.check(st); err != nil {
		return fmt.Errorf("open statistic %q: %w", st.ID, err)
	}
	o, _ := e.find(st.Object.Type, st.Object.ID)
	w, err := e.window(st.Profile)
	if err != nil {
		return fmt.Errorf("open statistic %q: %w", st.ID, err)
	}
	si := e.newStat()
	s := &e.stats[si]
	*s = stat{
		cfg: st, mask: &st.StatType.MainMask, win: w, obj: o,
		cat: st.StatType.Category, kind: kindOf(st.StatType.Subject),
		hasMedia: st.StatType.MediaType != "", open: true,
		live: st.StatType.Category.Kind() == category.KindCurrent ||
			st.StatType.Category == category.TotalAdjustedNumber || st.StatType.Category == category.TotalAdjustedTime,
		opened: e.clock, runStart: e.clock, end: minTime,
		acc: acc{min: math.MaxInt64},
	}
	if e.started {
		s.roll(e.clock)
	} else {
		s.opened = minTime // opened before the first event (the config's): not clipped
	}
	s.cur = int32(e.countCurrent(s))
	ob := &e.objs[o]
	for _, a := range s.mask.Actions() {
		ob.idx[s.kind].add(a, si)
	}
	e.byID[st.ID] = si
	e.order = append(e.order, si)
	return nil
}

// check validates st against what the engine computes.
func (e *Engine) check(st *config.Statistic) error {
	if st.ID == "" {
		return errors.New("empty id")
	}
	if _, dup := e.byID[st.ID]; dup {
		return errors.New("already open")
	}
	t := st.StatType
	ok, statusOK, structured := supports(t.Category)
	if !ok {
		return fmt.Errorf("category %v is not computed yet", t.Category)
	}
	switch t.Subject {
	case category.SubjectDNAction:
	case category.SubjectDNStatus, category.SubjectAgentStatus, category.SubjectPlaceStatus:
		if !statusOK {
			return fmt.Errorf("category %v needs subject DNAction", t.Category)
		}
	default:
		return fmt.Errorf("subject %v is not computed yet", t.Subject)
	}
	typ := st.Object.Type
	if !t.Subject.Objects().Has(typ) {
		return fmt.Errorf("subject %v does not apply to object type %v", t.Subject, typ)
	}
	if t.Objects != 0 && !t.Objects.Has(typ) {
		return fmt.Errorf("stat type %s is not defined for object type %v", t.Name, typ)
	}
	if structured && !stateTypes.Has(typ) {
		return fmt.Errorf("category %v is computed for RegDN, Queue, RoutePoint, Place and Agent objects, not %v", t.Category, typ)
	}
	if _, ok := e.find(typ, st.Object.ID); !ok {
		return fmt.Errorf("unknown %v %q", typ, st.Object.ID)
	}
	if st.Filter != nil {
		return fmt.Errorf("filter %q: filters are not supported yet", st.Filter.Name)
	}
	return nil
}

// window returns the compiled interval of profile p (nil = the default profile).
func (e *Engine) window(p *config.TimeProfile) (window, error) {
	if p == nil {
		p = e.defaultProfile
	}
	if w, ok := e.windows[p]; ok {
		return w, nil
	}
	if p.Type != config.ProfileGrowing {
		return nil, fmt.Errorf("time profile %q is %v: only Growing profiles are supported yet", p.Name, p.Type)
	}
	w := newGrowing(p)
	e.windows[p] = w
	return w, nil
}

func kindOf(s category.Subject) subjKind {
	switch s {
	case category.SubjectDNStatus:
		return subjDN
	case category.SubjectAgentStatus:
		return subjAgent
	case category.SubjectPlaceStatus:
		return subjPlace
	}
	return subjAction
}

func (e *Engine) newStat() int32 {
	if n := len(e.freeStat); n > 0 {
		si := e.freeStat[n-1]
		e.freeStat = e.freeStat[:n-1]
		return si
	}
	e.stats = append(e.stats, stat{})
	return int32(len(e.stats) - 1)
}

// Close closes the statistic id.
func (e *Engine) Close(id string) error {
	si, ok := e.byID[id]
	if !ok {
		return fmt.Errorf("close statistic %q: %w", id, ErrUnknownStatistic)
	}
	s := &e.stats[si]
	ob := &e.objs[s.obj]
	for _, a := range s.mask.Actions() {
		ob.idx[s.kind].remove(a, si)
	}
	e.order = removeInt32(e.order, si)
	delete(e.byID, id)
	*s = stat{}
	e.freeStat = append(e.freeStat, si)
	return nil
}

// removeInt32 removes the first v from list, keeping the order.
func removeInt32(list []int32, v int32) []int32 {
	for i, x := range list {
		if x == v {
			copy(list[i:], list[i+1:])
			return list[:len(list)-1]
		}
	}
	return list
}

// Value returns the value of statistic id at the current clock.
func (e *Engine) Value(id string) (Value, error) {
	si, ok := e.byID[id]
	if !ok {
		return Value{}, fmt.Errorf("statistic %q: %w", id, ErrUnknownStatistic)
	}
	return e.value(si), nil
}
