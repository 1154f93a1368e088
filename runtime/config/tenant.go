package config

import "github.com/statkit/statkit/generated/object"

// TenantOf returns the tenant of the object of type typ with the given id (a tenant
// object is its own tenant), and false when the topology has no such object. Every object
// belongs to exactly one tenant: a deployment that spreads tenants over replicas (issue
// 17) sends a statistic to the replicas of its object's tenant.
func (t *Topology) TenantOf(typ object.Type, id string) (string, bool) {
	switch typ {
	case object.TypeRegDN, object.TypeQueue, object.TypeRoutePoint:
		if d, ok := t.idx.dns[id]; ok && d.Type.ObjectType() == typ {
			return d.Tenant, true
		}
	case object.TypePlace:
		if p, ok := t.idx.places[id]; ok {
			return p.Tenant, true
		}
	case object.TypeAgent:
		if a, ok := t.idx.agents[id]; ok {
			return a.Tenant, true
		}
	case object.TypeGroupAgents, object.TypeGroupPlaces, object.TypeGroupQueues:
		if g, ok := t.idx.groups[typ][id]; ok {
			return g.Tenant, true
		}
	case object.TypeStagingArea:
		if o, ok := t.idx.staging[id]; ok {
			return o.Tenant, true
		}
	case object.TypeWorkbin:
		if o, ok := t.idx.workbins[id]; ok {
			return o.Tenant, true
		}
	case object.TypeTenant:
		if t.idx.tenants[id] {
			return id, true
		}
	}
	return "", false
}

// SourceTenant returns the tenant of an event's source object (class and id, as Known
// takes them), and false when the topology does not know it. A media channel source that
// is both an agent and a place is the agent (as the engine resolves it); an agent workbin
// source is the workbin, else the agent.
func (t *Topology) SourceTenant(class object.SourceClass, id string) (string, bool) {
	switch class {
	case object.ClassRegularDN, object.ClassMediationDN:
		if d, ok := t.idx.dns[id]; ok && d.Type.Class() == class {
			return d.Tenant, true
		}
	case object.ClassMediaChannel:
		if a, ok := t.idx.agents[id]; ok {
			return a.Tenant, true
		}
		if p, ok := t.idx.places[id]; ok {
			return p.Tenant, true
		}
	case object.ClassStagingArea:
		if o, ok := t.idx.staging[id]; ok {
			return o.Tenant, true
		}
	case object.ClassTenant:
		if t.idx.tenants[id] {
			return id, true
		}
	case object.ClassAgentWorkbin:
		if o, ok := t.idx.workbins[id]; ok {
			return o.Tenant, true
		}
		if a, ok := t.idx.agents[id]; ok {
			return a.Tenant, true
		}
	}
	return "", false
}
