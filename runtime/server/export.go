package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
)

// exportTimeout bounds how long a scrape waits for the owner goroutine to read the
// exported values; past it the scrape has no statistic values (the rest of /metrics is
// served all the same).
const exportTimeout = 2 * time.Second

// exportCollector is the Prometheus collector of the statistics the config marks for
// export (export: true on a stat type or a statistic): one gauge
// statkit_statistic_value{statistic, stat_type, object_type, object} per exported open
// statistic with a numeric value. An undefined value (a ratio of nothing) has no sample
// — the series is absent for that scrape, so that sum() and avg() over a stat type are
// not poisoned by NaN — and neither have the State trees of the CurrentState categories.
//
// A scrape costs the owner goroutine one op: a pass over the open statistics and a read
// of the exported ones' values, which are then turned into samples on the scrape's
// goroutine. With nothing marked for export it costs the owner nothing.
type exportCollector struct {
	s    *Server
	desc *prometheus.Desc
}

// newExportCollector returns the collector of s's exported statistics.
func newExportCollector(s *Server) *exportCollector {
	return &exportCollector{s: s, desc: prometheus.NewDesc("statkit_statistic_value",
		"Current value of a statistic marked export in the config (seconds, counts or percentages, by its category); absent while the value is undefined.",
		[]string{"statistic", "stat_type", "object_type", "object"}, nil)}
}

// Describe sends the gauge's description.
func (c *exportCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// exportedValue is an exported statistic and its value at the scrape.
type exportedValue struct {
	st *config.Statistic
	v  engine.Value
}

// Collect reads the exported statistics' values on the owner goroutine and sends their
// samples.
func (c *exportCollector) Collect(ch chan<- prometheus.Metric) {
	if !c.s.cfg.Load().Exports() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	var got []exportedValue
	err := c.s.do(ctx, func(o *owner) {
		cfg, _ := o.mach.Config()
		for _, st := range o.mach.Statistics() {
			if !cfg.Exported(st) {
				continue
			}
			if v, err := o.eng.Value(st.ID); err == nil {
				got = append(got, exportedValue{st, v})
			}
		}
	})
	if err != nil {
		c.s.log.Warn("metrics: the exported statistics' values were not read", "err", err)
		return
	}
	for _, e := range got {
		if !e.v.Defined() || e.v.State != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, e.v.Number,
			e.st.ID, e.st.StatType.Name, e.st.Object.Type.String(), e.st.Object.ID)
	}
}
