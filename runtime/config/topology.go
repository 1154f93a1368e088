package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/object"
)

// groupKinds returns the group object types.
func groupKinds() []object.Type {
	return []object.Type{object.TypeGroupAgents, object.TypeGroupPlaces, object.TypeGroupQueues}
}

// topoIndex holds the Topology's lookup maps, built once at load.
type topoIndex struct {
	dns      map[string]*DN
	places   map[string]*Place
	agents   map[string]*Agent
	staging  map[string]*Object
	workbins map[string]*Object
	tenants  map[string]bool
	groups   map[object.Type]map[string]*Group
	placeDNs map[string][]*DN
	memberOf map[object.Type]map[string][]*Group
}

func newTopoIndex() topoIndex {
	x := topoIndex{
		dns:      map[string]*DN{},
		places:   map[string]*Place{},
		agents:   map[string]*Agent{},
		staging:  map[string]*Object{},
		workbins: map[string]*Object{},
		tenants:  map[string]bool{},
		groups:   map[object.Type]map[string]*Group{},
		placeDNs: map[string][]*DN{},
		memberOf: map[object.Type]map[string][]*Group{},
	}
	for _, k := range groupKinds() {
		x.groups[k] = map[string]*Group{}
		x.memberOf[k] = map[string][]*Group{}
	}
	return x
}

// seen remembers where each id of one kind was first defined, to report duplicates.
type seen map[string]*yaml.Node

// first records id at n and reports whether it is new; otherwise it records an error.
func (s seen) first(l *loader, what, id string, n *yaml.Node) bool {
	if prev, dup := s[id]; dup {
		l.errorf(n, "duplicate %s %q (first at line %d)", what, id, prev.Line)
		return false
	}
	s[id] = n
	return true
}

// topology reads the topology section.
func (l *loader) topology(n *yaml.Node) {
	t := &l.cfg.Topology
	t.Tenant = DefaultTenant
	if v := value(n, "tenant"); v != nil {
		t.Tenant = text(v)
	}
	t.Tenants = []string{t.Tenant}
	t.idx.tenants[t.Tenant] = true
	tenants := seen{}
	for _, item := range items(value(n, "tenants")) {
		id := text(item)
		if id == t.Tenant || !tenants.first(l, "tenant", id, item) {
			continue
		}
		t.Tenants = append(t.Tenants, id)
		t.idx.tenants[id] = true
	}
	l.places(items(value(n, "places")))
	l.dns(items(value(n, "dns")))
	l.agents(items(value(n, "agents")))
	l.plainObjects(items(value(n, "stagingAreas")), "staging area", &t.StagingAreas, t.idx.staging)
	l.plainObjects(items(value(n, "workbins")), "workbin", &t.Workbins, t.idx.workbins)
	groups := value(n, "groups")
	l.groups(value(groups, "agents"), object.TypeGroupAgents, &t.AgentGroups)
	l.groups(value(groups, "places"), object.TypeGroupPlaces, &t.PlaceGroups)
	l.groups(value(groups, "queues"), object.TypeGroupQueues, &t.QueueGroups)
}

// tenantOf returns an object's tenant: its tenant field, which must name a declared
// tenant, or the default tenant.
func (l *loader) tenantOf(item *yaml.Node) string {
	t := &l.cfg.Topology
	v := value(item, "tenant")
	if v == nil {
		return t.Tenant
	}
	id := text(v)
	if !t.idx.tenants[id] {
		l.errorf(v, "unknown tenant %q (declare it in topology.tenants)", id)
	}
	return id
}

// places reads topology.places.
func (l *loader) places(list []*yaml.Node) {
	t := &l.cfg.Topology
	ids := seen{}
	for _, item := range list {
		idNode := value(item, "id")
		p := &Place{ID: text(idNode), Tenant: l.tenantOf(item)}
		if ids.first(l, "place id", p.ID, idNode) {
			t.Places = append(t.Places, p)
			t.idx.places[p.ID] = p
		}
	}
}

// dns reads topology.dns; a DN's place must be a place of the same tenant, and only
// regular DNs have places.
func (l *loader) dns(list []*yaml.Node) {
	t := &l.cfg.Topology
	ids := seen{}
	for _, item := range list {
		idNode, typeNode, placeNode := value(item, "id"), value(item, "type"), value(item, "place")
		d := &DN{ID: text(idNode), Tenant: l.tenantOf(item)}
		typ, err := object.ParseDNType(text(typeNode))
		if err != nil {
			l.errorf(typeNode, "unknown DN type %q (known: %s)", text(typeNode), dnTypeNames())
		}
		d.Type = typ
		if placeNode != nil {
			d.Place = text(placeNode)
			l.dnPlace(d, placeNode)
		}
		if !ids.first(l, "DN id", d.ID, idNode) {
			continue
		}
		t.DNs = append(t.DNs, d)
		t.idx.dns[d.ID] = d
		if _, ok := t.idx.places[d.Place]; ok {
			t.idx.placeDNs[d.Place] = append(t.idx.placeDNs[d.Place], d)
		}
	}
}

// dnPlace checks a DN's place.
func (l *loader) dnPlace(d *DN, n *yaml.Node) {
	if d.Type.Valid() && d.Type.Class() != object.ClassRegularDN {
		l.errorf(n, "DN %q (%s) is a mediation DN; only regular DNs belong to places", d.ID, d.Type)
		d.Place = ""
		return
	}
	p, ok := l.cfg.Topology.idx.places[d.Place]
	switch {
	case !ok:
		l.errorf(n, "unknown place %q", d.Place)
	case p.Tenant != d.Tenant:
		l.errorf(n, "place %q is in tenant %q, DN %q in tenant %q", p.ID, p.Tenant, d.ID, d.Tenant)
	}
}

// agents reads topology.agents.
func (l *loader) agents(list []*yaml.Node) {
	t := &l.cfg.Topology
	ids := seen{}
	for _, item := range list {
		idNode := value(item, "id")
		a := &Agent{ID: text(idNode), Name: text(value(item, "name")), Tenant: l.tenantOf(item)}
		if _, ok := t.idx.places[a.ID]; ok {
			l.errorf(idNode, "agent id %q is also a place id; media channel events could not tell them apart", a.ID)
		}
		if ids.first(l, "agent id", a.ID, idNode) {
			t.Agents = append(t.Agents, a)
			t.idx.agents[a.ID] = a
		}
	}
}

// plainObjects reads a list of {id, tenant} objects into dst and index.
func (l *loader) plainObjects(list []*yaml.Node, what string, dst *[]*Object, index map[string]*Object) {
	ids := seen{}
	for _, item := range list {
		idNode := value(item, "id")
		o := &Object{ID: text(idNode), Tenant: l.tenantOf(item)}
		if _, ok := l.cfg.Topology.idx.agents[o.ID]; ok && what == "workbin" {
			l.errorf(idNode, "workbin id %q is also an agent id; agent workbin events could not tell them apart", o.ID)
		}
		if ids.first(l, what+" id", o.ID, idNode) {
			*dst = append(*dst, o)
			index[o.ID] = o
		}
	}
}

// groups reads one kind of groups (a mapping of group id to members) into dst.
func (l *loader) groups(n *yaml.Node, kind object.Type, dst *[]*Group) {
	t := &l.cfg.Topology
	for _, p := range pairs(n) {
		g := &Group{ID: p.key.Value, Tenant: t.Tenant}
		memberList := p.val
		if p.val.Kind == yaml.MappingNode {
			g.Tenant = l.tenantOf(p.val)
			memberList = value(p.val, "members")
		}
		members := seen{}
		for _, m := range items(memberList) {
			id := text(m)
			if !members.first(l, "member", id, m) {
				continue
			}
			if l.checkMember(kind, g, id, m) {
				g.Members = append(g.Members, id)
			}
		}
		*dst = append(*dst, g)
		t.idx.groups[kind][g.ID] = g
		for _, id := range g.Members {
			t.idx.memberOf[kind][id] = append(t.idx.memberOf[kind][id], g)
		}
	}
}

// checkMember reports whether id may be a member of group g of the given kind.
func (l *loader) checkMember(kind object.Type, g *Group, id string, n *yaml.Node) bool {
	t := &l.cfg.Topology
	var tenant string
	switch kind {
	case object.TypeGroupAgents:
		a, ok := t.idx.agents[id]
		if !ok {
			l.errorf(n, "unknown agent %q in agent group %q", id, g.ID)
			return false
		}
		tenant = a.Tenant
	case object.TypeGroupPlaces:
		p, ok := t.idx.places[id]
		if !ok {
			l.errorf(n, "unknown place %q in place group %q", id, g.ID)
			return false
		}
		tenant = p.Tenant
	default:
		d, ok := t.idx.dns[id]
		if !ok {
			l.errorf(n, "unknown queue or routing point %q in queue group %q", id, g.ID)
			return false
		}
		if ot := d.Type.ObjectType(); ot != object.TypeQueue && ot != object.TypeRoutePoint {
			l.errorf(n, "DN %q (%s) in queue group %q is not a queue or routing point", id, d.Type, g.ID)
			return false
		}
		tenant = d.Tenant
	}
	if tenant != g.Tenant {
		l.errorf(n, "member %q is in tenant %q, group %q in tenant %q", id, tenant, g.ID, g.Tenant)
		return false
	}
	return true
}

// dnTypeNames lists the DN type names.
func dnTypeNames() string {
	var names []string
	for _, d := range object.AllDNTypes() {
		names = append(names, d.String())
	}
	return strings.Join(names, ", ")
}

// DN returns the DN with the given id.
func (t *Topology) DN(id string) (*DN, bool) {
	d, ok := t.idx.dns[id]
	return d, ok
}

// Place returns the place with the given id.
func (t *Topology) Place(id string) (*Place, bool) {
	p, ok := t.idx.places[id]
	return p, ok
}

// Agent returns the agent with the given employee id.
func (t *Topology) Agent(id string) (*Agent, bool) {
	a, ok := t.idx.agents[id]
	return a, ok
}

// StagingArea returns the staging area with the given id.
func (t *Topology) StagingArea(id string) (*Object, bool) {
	o, ok := t.idx.staging[id]
	return o, ok
}

// Workbin returns the workbin with the given id.
func (t *Topology) Workbin(id string) (*Object, bool) {
	o, ok := t.idx.workbins[id]
	return o, ok
}

// HasTenant reports whether the tenant exists (the default tenant always does).
func (t *Topology) HasTenant(name string) bool {
	return t.idx.tenants[name]
}

// Group returns the group of the given kind (object.TypeGroupAgents, TypeGroupPlaces or
// TypeGroupQueues) and id.
func (t *Topology) Group(kind object.Type, id string) (*Group, bool) {
	g, ok := t.idx.groups[kind][id]
	return g, ok
}

// GroupsOf returns the groups of the given kind that list member (an agent, place, or
// queue / routing point DN id), in file order. The slice is shared: do not modify it.
func (t *Topology) GroupsOf(kind object.Type, member string) []*Group {
	return t.idx.memberOf[kind][member]
}

// PlaceDNs returns the DNs that belong to a place, in file order. The slice is shared:
// do not modify it.
func (t *Topology) PlaceDNs(placeID string) []*DN {
	return t.idx.placeDNs[placeID]
}

// DNType returns the type of the DN with the given id.
func (t *Topology) DNType(id string) (object.DNType, bool) {
	d, ok := t.idx.dns[id]
	if !ok {
		return object.DNNone, false
	}
	return d.Type, true
}

// Known reports whether id names an object that actions of the given source class can
// come from: a regular or mediation DN of that class, an agent or place (media_channel),
// a staging area, a tenant, or a workbin or agent (agent_workbin).
func (t *Topology) Known(class object.SourceClass, id string) bool {
	switch class {
	case object.ClassRegularDN, object.ClassMediationDN:
		d, ok := t.idx.dns[id]
		return ok && d.Type.Class() == class
	case object.ClassMediaChannel:
		_, agent := t.idx.agents[id]
		_, place := t.idx.places[id]
		return agent || place
	case object.ClassStagingArea:
		_, ok := t.idx.staging[id]
		return ok
	case object.ClassTenant:
		return t.idx.tenants[id]
	case object.ClassAgentWorkbin:
		_, workbin := t.idx.workbins[id]
		_, agent := t.idx.agents[id]
		return workbin || agent
	}
	return false
}

// ResolveSource returns Known(class, id) and, when id is a DN whose type is of source
// class class, that type, with one look-up: it makes a Topology an event.SourceResolver,
// which the decoder's fast path asks once per event.
func (t *Topology) ResolveSource(class object.SourceClass, id string) (object.DNType, bool) {
	switch class {
	case object.ClassRegularDN, object.ClassMediationDN:
		d, ok := t.idx.dns[id]
		if !ok || d.Type.Class() != class {
			return object.DNNone, false
		}
		return d.Type, true
	}
	return object.DNNone, t.Known(class, id)
}

// Has reports whether the topology holds an object of type typ with the given id: a DN
// whose type maps to typ (RegDN, Queue, RoutePoint), a place, agent, group, staging area,
// workbin or tenant.
func (t *Topology) Has(typ object.Type, id string) bool {
	switch typ {
	case object.TypeRegDN, object.TypeQueue, object.TypeRoutePoint:
		d, ok := t.idx.dns[id]
		return ok && d.Type.ObjectType() == typ
	case object.TypePlace:
		_, ok := t.idx.places[id]
		return ok
	case object.TypeAgent:
		_, ok := t.idx.agents[id]
		return ok
	case object.TypeGroupAgents, object.TypeGroupPlaces, object.TypeGroupQueues:
		_, ok := t.idx.groups[typ][id]
		return ok
	case object.TypeStagingArea:
		_, ok := t.idx.staging[id]
		return ok
	case object.TypeWorkbin:
		_, ok := t.idx.workbins[id]
		return ok
	case object.TypeTenant:
		return t.idx.tenants[id]
	}
	return false
}

// Index rebuilds the topology's lookups from its exported fields. Load does this; call it
// after building or changing a Topology by hand, before reading it concurrently. Where
// ids repeat, the first wins.
func (t *Topology) Index() {
	x := newTopoIndex()
	x.tenants[t.Tenant] = true
	for _, name := range t.Tenants {
		x.tenants[name] = true
	}
	for _, p := range t.Places {
		putFirst(x.places, p.ID, p)
	}
	for _, d := range t.DNs {
		if putFirst(x.dns, d.ID, d) && d.Place != "" {
			x.placeDNs[d.Place] = append(x.placeDNs[d.Place], d)
		}
	}
	for _, a := range t.Agents {
		putFirst(x.agents, a.ID, a)
	}
	for _, o := range t.StagingAreas {
		putFirst(x.staging, o.ID, o)
	}
	for _, o := range t.Workbins {
		putFirst(x.workbins, o.ID, o)
	}
	for _, g := range []struct {
		kind object.Type
		list []*Group
	}{{object.TypeGroupAgents, t.AgentGroups}, {object.TypeGroupPlaces, t.PlaceGroups}, {object.TypeGroupQueues, t.QueueGroups}} {
		for _, grp := range g.list {
			if !putFirst(x.groups[g.kind], grp.ID, grp) {
				continue
			}
			for _, m := range grp.Members {
				x.memberOf[g.kind][m] = append(x.memberOf[g.kind][m], grp)
			}
		}
	}
	t.idx = x
}

// putFirst stores v under k unless k is taken, and reports whether it stored it.
func putFirst[V any](m map[string]V, k string, v V) bool {
	if _, ok := m[k]; ok {
		return false
	}
	m[k] = v
	return true
}
