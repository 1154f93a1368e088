package machine

import (
	"errors"
	"fmt"

	"github.com/statkit/statkit/runtime/config"
)

// ErrOtherTenant is wrapped by the refusal of a statistic on an object of a tenant the
// machine does not serve (Options.Serves).
var ErrOtherTenant = errors.New("this replica does not serve the tenant")

// serves reports whether st's object belongs to a tenant the machine serves (under cfg's
// topology). An object the topology does not know is served: the engine refuses it.
func (m *Machine) serves(cfg *config.Config, st *config.Statistic) bool {
	if m.opts.Serves == nil {
		return true
	}
	t, ok := cfg.Topology.TenantOf(st.Object.Type, st.Object.ID)
	return !ok || m.opts.Serves(t)
}

// otherTenant is the refusal of st, whose object's tenant is not served.
func (m *Machine) otherTenant(st *config.Statistic) error {
	t, _ := m.cfg.Topology.TenantOf(st.Object.Type, st.Object.ID)
	return fmt.Errorf("%v %q belongs to tenant %q: %w", st.Object.Type, st.Object.ID, t, ErrOtherTenant)
}
