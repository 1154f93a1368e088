package config

import "gopkg.in/yaml.v3"

// exportMarks are the export fields of a config: which stat types and statistics have
// their values exported as Prometheus gauges. They are kept apart from StatType and
// Statistic so that changing a mark on reload changes what is exported at once and does
// not change a statistic's definition (which would reopen it and lose its value).
type exportMarks struct {
	types map[string]bool // stat type name → export: true
	stats map[string]bool // statistic id → its own export mark, true or false
}

// statTypes returns the marks of the stat types, making the map when needed.
func (e *exportMarks) statTypes() map[string]bool {
	if e.types == nil {
		e.types = map[string]bool{}
	}
	return e.types
}

// statistics returns the marks of the statistics, making the map when needed.
func (e *exportMarks) statistics() map[string]bool {
	if e.stats == nil {
		e.stats = map[string]bool{}
	}
	return e.stats
}

// exportMark records the export field of mapping n (a stat type or a statistics entry)
// under name, when n has one. The schema has checked that it is a boolean.
func (l *loader) exportMark(marks map[string]bool, name string, n *yaml.Node) {
	v := value(n, "export")
	if v == nil {
		return
	}
	var b bool
	if err := v.Decode(&b); err != nil {
		l.errorf(v, "export must be true or false")
		return
	}
	marks[name] = b
}

// Exported reports whether the value of statistic st is exported to Prometheus under
// this config: the export field of the config statistic with st's id when it has one,
// else that of the config's stat type of st's name. A statistic opened through the API
// follows its stat type.
func (c *Config) Exported(st *Statistic) bool {
	if st == nil {
		return false
	}
	if b, ok := c.export.stats[st.ID]; ok {
		if cs, ok := c.statistics[st.ID]; ok && cs.StatType != nil && st.StatType != nil && cs.StatType.Name == st.StatType.Name {
			return b
		}
	}
	return st.StatType != nil && c.export.types[st.StatType.Name]
}

// ExportedStatType reports whether the stat type called name is marked export: true.
func (c *Config) ExportedStatType(name string) bool { return c.export.types[name] }

// Exports reports whether the config marks any stat type or statistic for export, so
// that a scrape with nothing to export costs nothing.
func (c *Config) Exports() bool {
	for _, b := range c.export.types {
		if b {
			return true
		}
	}
	for _, b := range c.export.stats {
		if b {
			return true
		}
	}
	return false
}
