package engine

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/generated/status"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// The engine answers the event decoder's topology questions.
var _ event.SourceResolver = (*Engine)(nil)

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
	queues []int32 // GroupQueues: member queues and routing points

	logged []int32 // RegDN: agents logged in on it
	logins []login // Agent: DNs it is logged in on, in login order
	inprog []int32 // durable instances in progress delivered to the object

	// status is the object's status (RegDN, Queue, RoutePoint, Place, Agent), action.None
	// when no status action is in progress; since is when it last changed.
	status action.ID
	since  event.Time
	// session is when an agent last went from logged in nowhere to logged in (SinceLogin).
	session event.Time
	table   status.Table
	dnType  object.DNType // DNs: the DN's type

	mark uint32               // de-duplication stamp of target collection
	idx  [nSubjKinds]actIndex // open statistics on the object, by subject kind and mask action
}

// instKey identifies a durable action instance: source object, action, interaction and,
// for an instance outside any interaction, the agent its events name (keyOf).
type instKey struct {
	class object.SourceClass
	act   action.ID
	src   string
	ixn   string
	agent string // "" when ixn is set
}

// keyOf is the key of the durable instance that ev starts or ends. An interaction
// identifies the instance on its source by itself. Without one, the sources that many
// agents share at once (mediation DNs, staging areas, workbins, tenants) can have the
// same action in progress for several agents (AgentLogin or AgentReady on an ACD queue,
// one per agent logged in to it), so there the agent the event names is part of the key.
// A regular DN or a media channel serves one agent at a time: its key is the source
// alone, and an end need not name the agent its start named.
func keyOf(ev *event.Event) instKey {
	k := instKey{class: ev.Source.Class, act: ev.Action, src: ev.Source.ID, ixn: ev.Interaction}
	if ev.Interaction == "" && ev.Source.Class != object.ClassRegularDN && ev.Source.Class != object.ClassMediaChannel {
		k.agent = ev.Agent
	}
	return k
}

// String words the key for rejections.
func (k instKey) String() string {
	if k.ixn == "" && k.agent != "" {
		return fmt.Sprintf("%v %q (agent %q)", k.class, k.src, k.agent)
	}
	return fmt.Sprintf("%v %q (interaction %q)", k.class, k.src, k.ixn)
}

// inst is a durable action instance in progress.
type inst struct {
	key   instKey
	start event.Time
	src   int32 // the source DN (RegDN, Queue, RoutePoint), noObj for other sources
	agent int32 // the agent this login instance logged in, noObj otherwise
	// targets are the objects the start was delivered to (the end goes to the same ones);
	// pos[i] is the instance's index in targets[i].inprog.
	targets []int32
	pos     []int32
	// at are the attributes filters and formulas read (media, data, …), with their cache.
	at attrs
	// holds are the histories of the filters whose result on the instance an update
	// changed, nil while none did (update.go).
	holds []hold
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
	live     slotIndex[instKey] // instances in progress by key
	fanout   int                // the capacity of every instance slot's targets and pos (growFanout)

	stats []stat
	// cfgs are the open statistics' definitions, by slot (nil for a free slot).
	cfgs     []*config.Statistic
	freeStat []int32
	byID     slotIndex[string] // open statistics by id
	seed     maphash.Seed      // of the indexes' hashes
	order    []int32           // open statistics in open order
	dirty    []int32           // statistics touched since the last Changed
	// dirtyBits has the statistics in dirty that are still open; inputs the statistics
	// formulas read (feeds lists the formulas).
	dirtyBits bitset
	inputs    bitset
	// masks are the distinct main masks of the stat types in use (by their actions),
	// numbered in order of first use; maskIDs finds a mask's number.
	masks   []config.Mask // copies, side by side: updates read them, not the stat types
	maskIDs map[[config.MaskWords]uint64]maskID
	// wins are the windows of the time profiles in use, numbered in order of first use;
	// windows finds a profile's number.
	wins    []*growing
	windows map[*config.TimeProfile]winID
	// defaultProfile is used by statistics that name no profile.
	defaultProfile *config.TimeProfile
	// medias are the media types stat types restrict actions to ("" first: any),
	// numbered in order of first use; mediaIDs finds a media type's number.
	medias   []string
	mediaIDs map[string]uint8

	clock   event.Time
	started bool

	loggedOut action.ID // the action whose status an agent logged in nowhere has
	tg        []int32   // scratch: targets of the event being applied
	gen       uint32
	// tgAgent and tgPlace are the agent and place the event being applied names or
	// resolves to (noObj when none), for the agent and place attributes.
	tgAgent, tgPlace int32
	t0               event.Time // the clock's first instant

	ex *exprs // compiled filters and formulas
	// evAt are the attributes of the instantaneous event being applied, filled on first
	// use: evAtSeq == evSeq when they are.
	evAt           attrs
	evSeq, evAtSeq uint64
	// sinceLogin lists the open SinceLogin statistics of each agent.
	sinceLogin map[int32][]int32
	mbuf       []member            // scratch: members of a status statistic
	seen       map[string]struct{} // scratch: distinct interactions
	// sa[o] are the attributes of the instance that decided object o's status when it
	// began (what filters of status subjects read). They are kept only while needSA (some
	// open statistic reads them), and sa is nil until then. saDN and saObj hold the
	// attributes of the status a DN, or a place or agent, is leaving.
	sa          []attrs
	needSA      bool
	saDN, saObj attrs
	// sh are the filter holds of the members' statuses whose attributes an update
	// changed (update.go), by member object; nil while there are none. oh are those of
	// the status a member is leaving, for transition (scratch, like saDN).
	sh map[int32][]hold
	oh []hold
	// serial numbers the durable instances, in start order (attrs.from).
	serial uint64

	// readers counts the formulas reading each hidden statistic, feeds lists them (see
	// formula.go); changedGen numbers the Changed calls.
	readers    map[int32]int32
	feeds      map[int32][]int32
	changedGen uint64
	// refusals lists the open TotalNumberErrors statistics by object (see refused.go).
	refusals map[int32][]int32

	notifier
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
		byKey:      map[objKey]int32{},
		dnByID:     map[string]int32{},
		seed:       maphash.MakeSeed(),
		windows:    map[*config.TimeProfile]winID{},
		maskIDs:    map[[config.MaskWords]uint64]maskID{},
		medias:     []string{""},
		mediaIDs:   map[string]uint8{"": 0},
		ex:         newExprs(),
		notifier:   notifier{nextDue: maxTime},
		seen:       map[string]struct{}{},
		sinceLogin: map[int32][]int32{},
		readers:    map[int32]int32{},
		feeds:      map[int32][]int32{},
		refusals:   map[int32][]int32{},
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
	e.Grow(len(cfg.Statistics))
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
				case object.TypeGroupQueues:
					e.objs[gi].queues = append(e.objs[gi].queues, mi)
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

// ResolveSource returns Known(class, id) and, when id is a DN whose type is of source
// class class, that type, with one look-up: it makes an Engine an event.SourceResolver,
// which the decoder's fast path asks once per event.
func (e *Engine) ResolveSource(class object.SourceClass, id string) (object.DNType, bool) {
	switch class {
	case object.ClassRegularDN, object.ClassMediationDN:
		i, ok := e.dnSource(class, id)
		if !ok {
			return object.DNNone, false
		}
		if t := e.objs[i].dnType; t.Class() == class {
			return t, true
		}
		return object.DNNone, true
	case object.ClassMediaChannel:
		return object.DNNone, true
	}
	return object.DNNone, e.sourceKnown(event.Source{Class: class, ID: id})
}

// Now returns the engine clock: the time of the latest event or Advance (0 before any).
func (e *Engine) Now() event.Time { return e.clock }

// Started reports whether the clock has started: whether an event was applied or the
// clock advanced. Before, Now is 0, which is no time of the input.
func (e *Engine) Started() bool { return e.started }

// Advance moves the clock forward to t without an event, so that current values grow and
// Growing profiles reset. A t before the clock is ignored.
func (e *Engine) Advance(t event.Time) {
	if e.started && t < e.clock {
		return
	}
	e.tick(t)
}

// tick sets the clock to t (≥ the clock), starting the engine on the first call and
// firing the notification timers due by t first.
func (e *Engine) tick(t event.Time) {
	if !e.started {
		e.begin(t)
	}
	if t >= e.nextDue {
		e.fire(t)
	}
	e.clock = t
}

// begin starts the clock at t: statuses hold since t. Statistics opened before the first
// event are not clipped (opened = minTime): their interval starts at the last reset.
func (e *Engine) begin(t event.Time) {
	e.started, e.t0, e.clock = true, t, t
	for i := range e.objs {
		e.objs[i].since = t
	}
	for _, si := range e.order {
		s := &e.stats[si]
		s.end = minTime
		if s.role() == roleRun {
			s.v = int64(t)
		}
		if s.ext != nil {
			s.ext.start(s, t, 0, 0)
		}
	}
	if e.notifyOn {
		for _, si := range e.order {
			e.schedule(si, t)
		}
	}
}

// Statistics returns the open statistics in the order they were opened (not the inputs
// the engine opened for formulas).
func (e *Engine) Statistics() []*config.Statistic {
	out := make([]*config.Statistic, 0, len(e.order))
	for _, si := range e.order {
		if st := e.cfgs[si]; !isHidden(st.ID) {
			out = append(out, st)
		}
	}
	return out
}

// Changed appends to dst the ids of the statistics whose inputs changed since the
// previous call (an action counted by a historical statistic completed; a durable
// instance counted by a current one started or ended, its filter started or stopped
// holding, or its data changed under a current custom value; a member's status moved in
// or out of a status statistic's mask), in the order they were first touched, and clears
// that set. Values also change without being listed here: current and in-progress times
// grow with the clock, Sliding windows move, and Growing resets are applied lazily when a
// statistic is next updated (a read sees them without applying them: reading changes no
// state). Notifications (see there) applies the statistics'
// notification modes on top of the same changes; the two are independent. A Formula
// statistic is listed when one of its inputs changed.
func (e *Engine) Changed(dst []string) []string {
	e.changedGen++
	for _, si := range e.dirty {
		if e.dirtyBits.has(si) { // a closed statistic's bit was cleared
			e.dirtyBits.clear(si)
			if e.inputs.has(si) {
				dst = e.changedFormulas(dst, si, e.changedGen)
			} else {
				dst = append(dst, e.cfgs[si].ID)
			}
		}
	}
	e.dirty = e.dirty[:0]
	return dst
}

// touch marks statistic si changed (small enough to be inlined where updates call it).
func (e *Engine) touch(si int32) {
	if e.watching || e.dirtyBits[si>>6]&(1<<(uint(si)&63)) == 0 {
		e.touched(si)
	}
}

// touched marks statistic si changed: the body of touch.
func (e *Engine) touched(si int32) {
	if !e.dirtyBits.has(si) {
		e.dirtyBits.set(si)
		if len(e.dirty) == cap(e.dirty) {
			// Room for every statistic at once, so that the list stops growing (and
			// allocating) on the first batch instead of at each new high-water mark.
			e.dirty = slices.Grow(e.dirty, max(len(e.stats), 2*len(e.dirty)+8)-len(e.dirty))
		}
		e.dirty = append(e.dirty, si)
	}
	if e.watching {
		e.flag(si)
	}
}

// supports reports whether the engine computes category c: every category whose
// semantics statkit defines (categories.yaml status implemented).
func supports(c category.Category) bool {
	return c.Valid() && c.Support() == category.SupportImplemented
}

// Open opens statistic st at the current clock; it accumulates from now on (durable
// actions already in progress are clipped to this instant). It fails for a duplicate id,
// an id starting with config.HiddenPrefix, an unknown object, a category statkit does
// not support (categories.yaml status unsupported), a subject that does not apply to the
// object or category, a SinceLogin profile on another object than an Agent, bad profile
// parameters, or a filter or formula that does not compile. A Formula statistic opens
// its inputs with it (see formula.go).
func (e *Engine) Open(st *config.Statistic) error {
	if st != nil && isHidden(st.ID) {
		return fmt.Errorf("open statistic %q: %w", st.ID, errHiddenID)
	}
	return e.open(st)
}

// open is Open for any id, the hidden inputs of formulas included.
func (e *Engine) open(st *config.Statistic) error {
	if st == nil || st.StatType == nil {
		return errors.New("open statistic: no stat type")
	}
	base, err := e.baseStat(st)
	if err != nil {
		return fmt.Errorf("open statistic %q: %w", st.ID, err)
	}
	var inputs []int32
	if base.cat == category.Formula {
		if inputs, err = e.openInputs(st); err != nil {
			return fmt.Errorf("open statistic %q: %w", st.ID, err)
		}
	}
	o, x, cat := base.obj, base.ext, base.cat
	if st.StatType.Subject.IsStatus() && (st.Filter != nil || cat == category.CurrentDistinctNumber) {
		e.needStatusAttrs()
	}
	si := e.newStat()
	s := &e.stats[si]
	*s = base
	e.cfgs[si] = st
	s.opened, s.end = e.clock, minTime
	if s.role() == roleRun {
		s.v = int64(e.clock)
	}
	if !e.started {
		s.opened = minTime // opened before the first event (the config's): not clipped
	}
	c := e.current(s, e.clock, e.maskOf(s))
	s.cur = int32(c.n)
	if e.started {
		if x != nil {
			x.start(s, e.clock, s.cur, c.sum)
		}
		e.roll(s, e.clock)
	}
	if x != nil && x.prof == profSinceLogin {
		e.sinceLogin[o] = append(e.sinceLogin[o], si)
		if ag := &e.objs[o]; e.started && len(ag.logins) > 0 {
			x.active, s.start = true, max(ag.session, s.opened)
		}
	}
	ob := &e.objs[o]
	for a := range e.indexed(s) {
		ob.idx[s.kind].add(a, si)
	}
	e.byID.put(si, e.idHash(st.ID), e.slotIDHash)
	e.order = append(e.order, si)
	if inputs != nil {
		e.bindFormula(si, inputs)
	}
	e.register(si)
	if e.notifyOn {
		e.openNote(si)
	}
	return nil
}

// check validates st against what the engine computes.
func (e *Engine) check(st *config.Statistic) error {
	if st.ID == "" {
		return errors.New("empty id")
	}
	if _, dup := e.byID.get(st.ID, e.idHash(st.ID), e.idOf); dup {
		return errors.New("already open")
	}
	t := st.StatType
	if !supports(t.Category) {
		return fmt.Errorf("category %v is not supported (see docs/categories.md)", t.Category)
	}
	if t.Category == category.Formula {
		return e.checkObject(st)
	}
	switch t.Subject {
	case category.SubjectDNAction:
	case category.SubjectDNStatus, category.SubjectAgentStatus, category.SubjectPlaceStatus, category.SubjectGroupStatus:
		if t.Category.UsesFormula() {
			return fmt.Errorf("category %v needs subject DNAction (custom values are not computed on statuses)", t.Category)
		}
	default:
		return fmt.Errorf("subject %v applies to no statkit object", t.Subject)
	}
	if err := checkCategory(t, st.Object.Type); err != nil {
		return err
	}
	typ := st.Object.Type
	if !t.Subject.Objects().Has(typ) {
		return fmt.Errorf("subject %v does not apply to object type %v", t.Subject, typ)
	}
	return e.checkObject(st)
}

// checkObject checks st's object against its stat type, the topology and its profile.
func (e *Engine) checkObject(st *config.Statistic) error {
	t, typ := st.StatType, st.Object.Type
	if t.Objects != 0 && !t.Objects.Has(typ) {
		return fmt.Errorf("stat type %s is not defined for object type %v", t.Name, typ)
	}
	if _, ok := e.find(typ, st.Object.ID); !ok {
		return fmt.Errorf("unknown %v %q", typ, st.Object.ID)
	}
	if p := st.Profile; p != nil && p.Type == config.ProfileSinceLogin && typ != object.TypeAgent {
		return fmt.Errorf("time profile %q: SinceLogin applies only to Agent objects, not %v", p.Name, typ)
	}
	return nil
}

// window returns the number of the compiled Growing window of profile p (nil = the
// default profile); other profiles have a window that never resets, their statistics'
// extensions keep their intervals.
func (e *Engine) window(p *config.TimeProfile) (winID, error) {
	if p == nil {
		p = e.defaultProfile
	}
	if w, ok := e.windows[p]; ok {
		return w, nil
	}
	var w *growing
	switch p.Type {
	case config.ProfileGrowing:
		w = newGrowing(p)
	case config.ProfileSliding, config.ProfileSelection, config.ProfileSinceLogin:
		w = &growing{} // no reset: their intervals are kept by the statistic's extension
	default:
		return 0, fmt.Errorf("time profile %q has no type", p.Name)
	}
	if len(e.wins) > math.MaxUint16 {
		return 0, fmt.Errorf("time profile %q: more than %d time profiles in use", p.Name, math.MaxUint16+1)
	}
	id := winID(len(e.wins))
	e.wins = append(e.wins, w)
	e.windows[p] = id
	return id, nil
}

// mediaID returns the number of media type m ("" is 0), numbering it on first use.
func (e *Engine) mediaID(m string) (uint8, error) {
	if id, ok := e.mediaIDs[m]; ok {
		return id, nil
	}
	if len(e.medias) > math.MaxUint8 {
		return 0, fmt.Errorf("more than %d media types in use", math.MaxUint8)
	}
	id := uint8(len(e.medias))
	e.medias = append(e.medias, m)
	e.mediaIDs[m] = id
	return id, nil
}

// maskID returns the number of main mask m, numbering it on first use.
func (e *Engine) maskID(m *config.Mask) (maskID, error) {
	k := m.Bits()
	if id, ok := e.maskIDs[k]; ok {
		return id, nil
	}
	if len(e.masks) > math.MaxUint16 {
		return 0, fmt.Errorf("more than %d distinct main masks in use", math.MaxUint16+1)
	}
	id := maskID(len(e.masks))
	e.masks = append(e.masks, *m)
	e.maskIDs[k] = id
	return id, nil
}

// kindOf is the subject kind of subject s on objects of type typ. GroupStatus counts the
// statuses of a group's members: agents for GroupAgents (as AgentStatus), places for
// GroupPlaces (as PlaceStatus).
func kindOf(s category.Subject, typ object.Type) subjKind {
	switch s {
	case category.SubjectDNStatus:
		return subjDN
	case category.SubjectAgentStatus:
		return subjAgent
	case category.SubjectPlaceStatus:
		return subjPlace
	case category.SubjectGroupStatus:
		if typ == object.TypeGroupPlaces {
			return subjPlace
		}
		return subjAgent
	}
	return subjAction
}

// baseStat checks st and builds its statistic slot from what its definition decides (object,
// window, extended state, category, subject kind, whether it is live); Open and Restore then
// fill in the accumulated state.
func (e *Engine) baseStat(st *config.Statistic) (stat, error) {
	if err := e.check(st); err != nil {
		return stat{}, err
	}
	o, _ := e.find(st.Object.Type, st.Object.ID)
	w, err := e.window(st.Profile)
	if err != nil {
		return stat{}, err
	}
	x, err := e.newExt(st)
	if err != nil {
		return stat{}, err
	}
	mask, err := e.maskID(indexMask(st.StatType))
	if err != nil {
		return stat{}, err
	}
	media, err := e.mediaID(st.StatType.MediaType)
	if err != nil {
		return stat{}, err
	}
	s := stat{
		win: w, obj: o, ext: x, media: media, mask: mask, flags: flagOpen,
		cat: st.StatType.Category, kind: kindOf(st.StatType.Subject, st.Object.Type),
	}
	if isLive(&s) {
		s.flags |= flagLive
	}
	if x != nil && x.isNarrow() {
		s.flags |= flagNarrow
	}
	s.setRole(roleOf(s.cat, x != nil))
	return s, nil
}

// Grow makes room for n more open statistics, so that opening them does not reallocate
// the engine's tables on the way (New does it for the config's statistics).
func (e *Engine) Grow(n int) {
	if n <= 0 {
		return
	}
	e.stats = slices.Grow(e.stats, n-len(e.freeStat))
	e.cfgs = slices.Grow(e.cfgs, n-len(e.freeStat))
	e.order = slices.Grow(e.order, n)
	e.byID.grow(n, e.slotIDHash)
}

func (e *Engine) newStat() int32 {
	if n := len(e.freeStat); n > 0 {
		si := e.freeStat[n-1]
		e.freeStat = e.freeStat[:n-1]
		return si
	}
	e.stats = append(e.stats, stat{})
	e.cfgs = append(e.cfgs, nil)
	e.dirtyBits.grow(len(e.stats))
	e.inputs.grow(len(e.stats))
	return int32(len(e.stats) - 1)
}

// Close closes the statistic id (and the inputs of a formula that no other formula
// reads).
func (e *Engine) Close(id string) error {
	si, ok := e.byID.get(id, e.idHash(id), e.idOf)
	if !ok || isHidden(id) {
		return fmt.Errorf("close statistic %q: %w", id, ErrUnknownStatistic)
	}
	return e.closeSlot(si)
}

// closeSlot closes statistic slot si.
func (e *Engine) closeSlot(si int32) error {
	s := &e.stats[si]
	id := e.cfgs[si].ID
	if s.cat == category.Formula {
		e.unbindFormula(si)
	}
	e.unregister(si)
	ob := &e.objs[s.obj]
	for a := range e.indexed(s) {
		ob.idx[s.kind].remove(a, si)
	}
	if s.ext != nil && s.ext.prof == profSinceLogin {
		e.sinceLogin[s.obj] = removeInt32(e.sinceLogin[s.obj], si)
	}
	if e.notifyOn {
		e.closeNote(si)
	}
	e.order = removeInt32(e.order, si)
	e.byID.del(si, e.idHash(id), e.slotIDHash)
	*s = stat{}
	e.cfgs[si] = nil
	e.dirtyBits.clear(si)
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
	si, ok := e.byID.get(id, e.idHash(id), e.idOf)
	if !ok {
		return Value{}, fmt.Errorf("statistic %q: %w", id, ErrUnknownStatistic)
	}
	return e.value(si), nil
}
