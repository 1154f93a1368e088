package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/object"
)

// Every object of the topology has the tenant the document gives it (or the default
// one), by type and by source class; unknown objects and mismatched types have none.
func TestTenantOf(t *testing.T) {
	topo := &load(t, topoDoc).Topology
	for _, c := range []struct {
		typ  object.Type
		id   string
		want string
		ok   bool
	}{
		{object.TypeRegDN, "7001", "main", true},
		{object.TypeRegDN, "7101", "acme", true},
		{object.TypeQueue, "Q@SW1", "main", true},
		{object.TypeQueue, "VQ@SW1", "main", true},
		{object.TypeRoutePoint, "RP@SW1", "main", true},
		{object.TypeQueue, "RP@SW1", "", false}, // a routing point is no queue
		{object.TypeRegDN, "Q@SW1", "", false},
		{object.TypePlace, "P2", "acme", true},
		{object.TypeAgent, "1001", "main", true},
		{object.TypeAgent, "1002", "acme", true},
		{object.TypeGroupAgents, "Acme", "acme", true},
		{object.TypeGroupAgents, "Sales", "main", true},
		{object.TypeGroupPlaces, "Floor", "main", true},
		{object.TypeGroupQueues, "All", "main", true},
		{object.TypeStagingArea, "Inbound", "main", true},
		{object.TypeWorkbin, "WB1", "main", true},
		{object.TypeTenant, "acme", "acme", true},
		{object.TypeTenant, "nope", "", false},
		{object.TypeAgent, "9999", "", false},
	} {
		got, ok := topo.TenantOf(c.typ, c.id)
		assert.Equal(t, c.ok, ok, "%v %s", c.typ, c.id)
		assert.Equal(t, c.want, got, "%v %s", c.typ, c.id)
	}
	for _, c := range []struct {
		class object.SourceClass
		id    string
		want  string
		ok    bool
	}{
		{object.ClassRegularDN, "7101", "acme", true},
		{object.ClassRegularDN, "Q@SW1", "", false}, // a queue is a mediation DN
		{object.ClassMediationDN, "Q@SW1", "main", true},
		{object.ClassMediaChannel, "1002", "acme", true},
		{object.ClassMediaChannel, "P2", "acme", true},
		{object.ClassMediaChannel, "P9", "", false},
		{object.ClassStagingArea, "Inbound", "main", true},
		{object.ClassTenant, "acme", "acme", true},
		{object.ClassAgentWorkbin, "WB1", "main", true},
		{object.ClassAgentWorkbin, "1002", "acme", true},
		{object.ClassAgentWorkbin, "nope", "", false},
	} {
		got, ok := topo.SourceTenant(c.class, c.id)
		assert.Equal(t, c.ok, ok, "%v %s", c.class, c.id)
		assert.Equal(t, c.want, got, "%v %s", c.class, c.id)
		// SourceTenant knows exactly the sources Known knows.
		assert.Equal(t, topo.Known(c.class, c.id), ok, "%v %s", c.class, c.id)
	}
}
