package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event/eventtest"
)

const topoDoc = `topology:
  tenant: main
  tenants: [acme]
  dns:
    - {id: "7001", type: Extension, place: P1}
    - {id: "7002", type: VoIP, place: P1}
    - {id: "7101", type: Extension, place: P2, tenant: acme}
    - {id: "Q@SW1", type: ACDQueue}
    - {id: "VQ@SW1", type: VirtualQueue}
    - {id: "RP@SW1", type: RoutingPoint}
  places: [{id: P1}, {id: P2, tenant: acme}]
  agents: [{id: "1001", name: Ann}, {id: "1002", tenant: acme}]
  stagingAreas: [{id: Inbound}]
  workbins: [{id: WB1}]
  groups:
    agents: {Sales: ["1001"], Acme: {tenant: acme, members: ["1002"]}, Empty: []}
    places: {Floor: [P1]}
    queues: {All: ["Q@SW1", "RP@SW1"], Virtual: ["VQ@SW1", "Q@SW1"]}
`

func TestTopologyLookups(t *testing.T) {
	topo := &load(t, topoDoc).Topology
	assert.Equal(t, []string{"main", "acme"}, topo.Tenants)

	d, ok := topo.DN("7101")
	require.True(t, ok)
	assert.Equal(t, &config.DN{ID: "7101", Type: object.DNExtension, Place: "P2", Tenant: "acme"}, d)
	_, ok = topo.DN("P1")
	assert.False(t, ok)

	a, ok := topo.Agent("1001")
	require.True(t, ok)
	assert.Equal(t, &config.Agent{ID: "1001", Name: "Ann", Tenant: "main"}, a)
	p, ok := topo.Place("P2")
	require.True(t, ok)
	assert.Equal(t, "acme", p.Tenant)
	sa, ok := topo.StagingArea("Inbound")
	require.True(t, ok)
	assert.Equal(t, "main", sa.Tenant)
	_, ok = topo.Workbin("WB1")
	assert.True(t, ok)

	assert.Equal(t, []string{"7001", "7002"}, dnIDs(topo.PlaceDNs("P1")))
	assert.Empty(t, topo.PlaceDNs("P9"))

	g, ok := topo.Group(object.TypeGroupAgents, "Acme")
	require.True(t, ok)
	assert.Equal(t, &config.Group{ID: "Acme", Tenant: "acme", Members: []string{"1002"}}, g)
	_, ok = topo.Group(object.TypeGroupPlaces, "Sales")
	assert.False(t, ok, "groups are per kind")
	g, ok = topo.Group(object.TypeGroupAgents, "Empty")
	require.True(t, ok)
	assert.Empty(t, g.Members)

	assert.Equal(t, []string{"All", "Virtual"}, groupIDs(topo.GroupsOf(object.TypeGroupQueues, "Q@SW1")))
	assert.Equal(t, []string{"Sales"}, groupIDs(topo.GroupsOf(object.TypeGroupAgents, "1001")))
	assert.Empty(t, topo.GroupsOf(object.TypeGroupAgents, "P1"))

	typ, ok := topo.DNType("VQ@SW1")
	assert.True(t, ok)
	assert.Equal(t, object.DNVirtualQueue, typ)
	_, ok = topo.DNType("1001")
	assert.False(t, ok)

	assert.True(t, topo.HasTenant("main"))
	assert.True(t, topo.HasTenant("acme"))
	assert.False(t, topo.HasTenant("default"), "the default tenant is the one topology.tenant names")
}

func TestTopologyKnown(t *testing.T) {
	topo := &load(t, topoDoc).Topology
	for _, tc := range []struct {
		class object.SourceClass
		id    string
		want  bool
	}{
		{object.ClassRegularDN, "7001", true},
		{object.ClassRegularDN, "Q@SW1", false},
		{object.ClassMediationDN, "Q@SW1", true},
		{object.ClassMediationDN, "RP@SW1", true},
		{object.ClassMediationDN, "7001", false},
		{object.ClassMediaChannel, "1001", true},
		{object.ClassMediaChannel, "P1", true},
		{object.ClassMediaChannel, "7001", false},
		{object.ClassStagingArea, "Inbound", true},
		{object.ClassStagingArea, "WB1", false},
		{object.ClassTenant, "acme", true},
		{object.ClassTenant, "default", false},
		{object.ClassAgentWorkbin, "WB1", true},
		{object.ClassAgentWorkbin, "1002", true},
		{object.ClassAgentWorkbin, "Inbound", false},
		{object.ClassNone, "7001", false},
	} {
		assert.Equal(t, tc.want, topo.Known(tc.class, tc.id), "Known(%s, %q)", tc.class, tc.id)
	}
}

// TestTopologyResolveSource checks that ResolveSource answers as Known and DNType do,
// the way the decoder's reference path asks them, for every source class and every id of
// the topology (and some that are not).
func TestTopologyResolveSource(t *testing.T) {
	topo := &load(t, topoDoc).Topology
	eventtest.CheckSourceResolver(t, topo, []string{"7001", "7002", "7101", "Q@SW1", "VQ@SW1", "RP@SW1",
		"1001", "1002", "P1", "P2", "Inbound", "WB1", "acme", "main", "default", "nope", ""})
	dn, known := topo.ResolveSource(object.ClassMediationDN, "VQ@SW1")
	assert.True(t, known)
	assert.Equal(t, object.DNVirtualQueue, dn, "a virtual queue resolves to its type")
}

func TestTopologyHas(t *testing.T) {
	topo := &load(t, topoDoc).Topology
	for _, tc := range []struct {
		typ  object.Type
		id   string
		want bool
	}{
		{object.TypeRegDN, "7002", true},
		{object.TypeRegDN, "Q@SW1", false},
		{object.TypeQueue, "Q@SW1", true},
		{object.TypeQueue, "VQ@SW1", true},
		{object.TypeQueue, "RP@SW1", false},
		{object.TypeRoutePoint, "RP@SW1", true},
		{object.TypePlace, "P2", true},
		{object.TypeAgent, "1002", true},
		{object.TypeAgent, "P1", false},
		{object.TypeGroupAgents, "Sales", true},
		{object.TypeGroupPlaces, "Floor", true},
		{object.TypeGroupQueues, "Virtual", true},
		{object.TypeGroupQueues, "Sales", false},
		{object.TypeStagingArea, "Inbound", true},
		{object.TypeWorkbin, "WB1", true},
		{object.TypeTenant, "main", true},
		{object.TypeTenant, "nope", false},
		{object.TypeNone, "7001", false},
	} {
		assert.Equal(t, tc.want, topo.Has(tc.typ, tc.id), "Has(%s, %q)", tc.typ, tc.id)
	}
}

func TestZeroTopology(t *testing.T) {
	var topo config.Topology
	_, ok := topo.DN("7001")
	assert.False(t, ok)
	assert.False(t, topo.Known(object.ClassTenant, "default"))
	assert.False(t, topo.Has(object.TypeGroupAgents, "Sales"))
	assert.Empty(t, topo.GroupsOf(object.TypeGroupAgents, "1001"))
}

func dnIDs(ds []*config.DN) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func groupIDs(gs []*config.Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func TestIndexHandBuilt(t *testing.T) {
	loaded := load(t, topoDoc)
	c := &config.Config{Topology: config.Topology{
		Tenant: loaded.Topology.Tenant, Tenants: loaded.Topology.Tenants, DNs: loaded.Topology.DNs,
		Places: loaded.Topology.Places, Agents: loaded.Topology.Agents, StagingAreas: loaded.Topology.StagingAreas,
		Workbins: loaded.Topology.Workbins, AgentGroups: loaded.Topology.AgentGroups,
		PlaceGroups: loaded.Topology.PlaceGroups, QueueGroups: loaded.Topology.QueueGroups,
	}, TimeProfiles: loaded.TimeProfiles}
	_, ok := c.Topology.DN("7001")
	assert.False(t, ok, "no lookups before Index")
	c.Index()
	assert.Equal(t, loaded.Topology, c.Topology, "Index builds the lookups Load builds")
	p, ok := c.Profile(config.DefaultProfileName)
	require.True(t, ok)
	assert.Same(t, loaded.TimeProfiles[0], p)
}
