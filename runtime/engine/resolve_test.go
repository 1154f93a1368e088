package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event/eventtest"
)

// TestResolveSource checks that ResolveSource answers as Known and DNType do, the way the
// decoder's reference path asks them, for every source class and every id of the test
// topology (and some that are not).
func TestResolveSource(t *testing.T) {
	e := newEngine(t)
	ids := []string{"7001", "7002", "7003", "7004", "Support@SW1", "RP1@SW1", "P1", "P2", "1001", "1002",
		"SA1", "WB1", "default", "Sales", "Floor1", "AllQueues", "nope", ""}
	eventtest.CheckSourceResolver(t, e, ids)
	dn, known := e.ResolveSource(object.ClassMediationDN, "RP1@SW1")
	assert.True(t, known)
	assert.Equal(t, object.DNRoutingPoint, dn)
	_, known = e.ResolveSource(object.ClassRegularDN, "RP1@SW1")
	assert.False(t, known, "a routing point is no regular DN")
}
