package server

import (
	"cmp"
	"encoding/json"
	"fmt"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// actionJSON is one row of the action reference (GET /v1/actions).
type actionJSON struct {
	Name        string   `json:"name"`
	Variant     string   `json:"variant,omitempty"`
	Key         string   `json:"key"` // "Name" or "Name (Variant)"
	Kind        string   `json:"kind"`
	Sources     []string `json:"sources"`
	Interaction bool     `json:"interaction"`
	Summary     string   `json:"summary"`
	// Origin is "seed" for a row of the Stat Server action table, "local" for an
	// extension of this installation (origin: local in the spec).
	Origin string `json:"origin"`
}

// actionsJSON builds {"actions": [...]} from the generated action table, in spec order.
func actionsJSON() ([]byte, error) {
	ids := action.AllIDs()
	out := make([]actionJSON, len(ids))
	for i, a := range ids {
		j := actionJSON{Name: a.Name(), Variant: a.Variant(), Key: a.String(), Kind: a.Kind().String(),
			Interaction: a.IsInteraction(), Summary: a.Summary(), Sources: []string{}, Origin: "seed"}
		if a.IsLocal() {
			j.Origin = "local"
		}
		for _, c := range a.Sources().Slice() {
			j.Sources = append(j.Sources, c.String())
		}
		out[i] = j
	}
	b, err := json.Marshal(map[string]any{"actions": out})
	if err != nil {
		return nil, fmt.Errorf("server: action reference: %w", err)
	}
	return b, nil
}

// statTypeJSON describes a stat type the config defines.
type statTypeJSON struct {
	Name        string   `json:"name"`
	Objects     []string `json:"objects"`
	Category    string   `json:"category"`
	Subject     string   `json:"subject,omitempty"` // none for Formula
	Unit        string   `json:"unit"`
	MainMask    []string `json:"mainMask"`
	RelMask     []string `json:"relMask,omitempty"`
	MediaType   string   `json:"mediaType,omitempty"`
	Description string   `json:"description,omitempty"`
	// Export is true when the stat type is marked export: true in the config.
	Export bool `json:"export,omitempty"`
}

// profileJSON describes a time profile.
type profileJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// timeRangeJSON describes a time range, in seconds.
type timeRangeJSON struct {
	Name string  `json:"name"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// filterJSON describes a filter.
type filterJSON struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// topoObjectJSON is one topology object: its id, and what else a wallboard shows.
type topoObjectJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`    // agents
	DNType  string   `json:"dnType,omitempty"`  // DNs
	Place   string   `json:"place,omitempty"`   // regular DNs
	Tenant  string   `json:"tenant,omitempty"`  // when not the default tenant
	Members []string `json:"members,omitempty"` // groups
}

// configDoc is the body of GET /v1/config: what a client needs to offer "open a
// statistic".
type configDoc struct {
	StatTypes  []statTypeJSON              `json:"statTypes"`
	Profiles   []profileJSON               `json:"profiles"`
	TimeRanges []timeRangeJSON             `json:"timeRanges"`
	Filters    []filterJSON                `json:"filters"`
	Objects    map[string][]topoObjectJSON `json:"objects"`
}

// configJSON builds the GET /v1/config document of cfg.
func configJSON(cfg *config.Config) ([]byte, error) {
	d := configDoc{StatTypes: []statTypeJSON{}, Profiles: []profileJSON{}, TimeRanges: []timeRangeJSON{},
		Filters: []filterJSON{}, Objects: topologyJSON(&cfg.Topology)}
	for _, st := range cfg.StatTypes {
		j := statTypeJSON{Name: st.Name, Objects: []string{}, Category: st.Category.String(),
			Unit: st.Category.Unit().String(), MainMask: st.MainMask.Text,
			RelMask: st.RelMask.Text, MediaType: st.MediaType, Description: st.Description,
			Export: cfg.ExportedStatType(st.Name)}
		if st.Subject.Valid() {
			j.Subject = st.Subject.String()
		}
		for _, t := range st.Objects.Slice() {
			j.Objects = append(j.Objects, t.String())
		}
		if j.MainMask == nil {
			j.MainMask = []string{}
		}
		d.StatTypes = append(d.StatTypes, j)
	}
	for _, p := range cfg.TimeProfiles { // the loader adds Default when the file has none
		d.Profiles = append(d.Profiles, profileJSON{Name: p.Name, Type: p.Type.String()})
	}
	for _, r := range cfg.TimeRanges {
		d.TimeRanges = append(d.TimeRanges, timeRangeJSON{Name: r.Name, Lo: float64(r.Lo) / 1000, Hi: float64(r.Hi) / 1000})
	}
	for _, f := range cfg.Filters {
		d.Filters = append(d.Filters, filterJSON{Name: f.Name, Expr: f.Expr})
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("server: config document: %w", err)
	}
	return b, nil
}

// topologyJSON lists the topology's objects by object type name. Every type a statistic
// can name has a list, empty when the topology has no such object.
func topologyJSON(t *config.Topology) map[string][]topoObjectJSON {
	out := map[string][]topoObjectJSON{}
	for _, typ := range object.AllTypes() {
		out[typ.String()] = []topoObjectJSON{}
	}
	add := func(typ object.Type, o topoObjectJSON) {
		if o.Tenant == t.Tenant {
			o.Tenant = ""
		}
		out[typ.String()] = append(out[typ.String()], o)
	}
	for _, a := range t.Agents {
		add(object.TypeAgent, topoObjectJSON{ID: a.ID, Name: a.Name, Tenant: a.Tenant})
	}
	for _, dn := range t.DNs {
		add(dn.Type.ObjectType(), topoObjectJSON{ID: dn.ID, DNType: dn.Type.String(), Place: dn.Place, Tenant: dn.Tenant})
	}
	for _, p := range t.Places {
		add(object.TypePlace, topoObjectJSON{ID: p.ID, Tenant: p.Tenant})
	}
	for _, o := range t.StagingAreas {
		add(object.TypeStagingArea, topoObjectJSON{ID: o.ID, Tenant: o.Tenant})
	}
	for _, o := range t.Workbins {
		add(object.TypeWorkbin, topoObjectJSON{ID: o.ID, Tenant: o.Tenant})
	}
	groups := []struct {
		typ  object.Type
		list []*config.Group
	}{{object.TypeGroupAgents, t.AgentGroups}, {object.TypeGroupPlaces, t.PlaceGroups}, {object.TypeGroupQueues, t.QueueGroups}}
	for _, g := range groups {
		for _, grp := range g.list {
			add(g.typ, topoObjectJSON{ID: grp.ID, Tenant: grp.Tenant, Members: grp.Members})
		}
	}
	tenants := t.Tenants
	if len(tenants) == 0 {
		tenants = []string{cmp.Or(t.Tenant, config.DefaultTenant)}
	}
	for _, name := range tenants {
		out[object.TypeTenant.String()] = append(out[object.TypeTenant.String()], topoObjectJSON{ID: name})
	}
	return out
}
