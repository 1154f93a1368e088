package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
)

// metrics are the server's Prometheus metrics, registered in the server's own registry
// (never the global default one, so several servers can live in one process).
type metrics struct {
	reg *prometheus.Registry

	accepted    prometheus.Counter
	rejected    *prometheus.CounterVec
	statsOpen   prometheus.Gauge
	sent        prometheus.Counter
	dropped     prometheus.Counter
	coalesced   prometheus.Counter
	subscribers prometheus.Gauge
	subsDropped prometheus.Counter
	apply       prometheus.Histogram
	batchSize   prometheus.Histogram
	queueDepth  prometheus.GaugeFunc
	refused     prometheus.Counter // POST /v1/events answered 429
	snapshots   prometheus.Counter
	reloads     *prometheus.CounterVec
	late        *prometheus.CounterVec // by input
	deferred    *prometheus.CounterVec // by input and code
	duplicates  prometheus.Counter
	held        prometheus.GaugeFunc
	failed      prometheus.Gauge
}

// newMetrics creates and registers the metrics; depth reports the ingest queue's length,
// held the events the reorder window holds.
func newMetrics(depth, held func() float64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statkit_events_accepted_total",
			Help: "Events applied to the engine.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statkit_events_rejected_total",
			Help: "Event lines rejected, by rejection code (decoder and engine codes).",
		}, []string{"code"}),
		statsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statkit_statistics_open",
			Help: "Statistics open in the engine.",
		}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statkit_notifications_sent_total",
			Help: "Statistic values written to stream subscribers (initial values included).",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statkit_notifications_dropped_total",
			Help: "Notifications discarded because their subscriber was dropped or had gone.",
		}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statkit_notifications_coalesced_total",
			Help: "Notifications replaced by a newer value of the same statistic before they were written.",
		}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statkit_subscribers",
			Help: "Stream subscribers connected.",
		}),
		subsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statkit_subscribers_dropped_total",
			Help: "Stream subscribers dropped for staying behind (queue bound or write deadline).",
		}),
		apply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "statkit_apply_seconds",
			Help:    "Time the engine's owner goroutine spends on one batch of events, notifications included.",
			Buckets: prometheus.ExponentialBuckets(1e-5, 4, 10), // 10µs … 2.6s
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "statkit_ingest_batch_events",
			Help:    "Event lines per ingested batch (request body or in-process batch).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 … 262144
		}),
	}
	m.queueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "statkit_ingest_queue_depth",
		Help: "Batches appended to the log and not yet applied by the engine's owner goroutine.",
	}, depth)
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "statkit_ingest_refused_total",
		Help: "POST /v1/events requests refused with 429 because the ingest queue was full (nothing of them applied).",
	})
	m.snapshots = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "statkit_snapshots_total",
		Help: "Engine snapshots written to the data directory.",
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_config_reloads_total",
		Help: "Config reloads, by result (ok, refused).",
	}, []string{"result"})
	m.late = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_ingest_late_events_total",
		Help: "Events that came after the engine clock had passed their time, applied at the clock, by input.",
	}, []string{"input"})
	m.deferred = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_ingest_rejected_after_answer_total",
		Help: "Events the engine rejected when the reorder window released them, after their batch was answered, by input and code.",
	}, []string{"input", "code"})
	m.duplicates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "statkit_ingest_duplicate_batches_total",
		Help: "Batches not applied because their Idempotency-Key was applied before (answered with the first answer).",
	})
	m.held = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "statkit_ingest_held_events",
		Help: "Events held by the reorder window, waiting to be applied in time order.",
	}, held)
	m.failed = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "statkit_log_failed",
		Help: "1 when the log failed and the server is read-only (fail-stop), else 0.",
	})
	for _, c := range append(event.RejectionCodes(), ingest.CodeFutureEvent) {
		m.rejected.WithLabelValues(c)
	}
	// The rejection codes of engine.Apply, next to the decoder's.
	for _, c := range engine.Codes() {
		m.rejected.WithLabelValues(string(c))
	}
	m.reg.MustRegister(m.accepted, m.rejected, m.statsOpen, m.sent, m.dropped, m.coalesced,
		m.subscribers, m.subsDropped, m.apply, m.batchSize, m.queueDepth,
		m.refused, m.snapshots, m.reloads, m.late, m.deferred, m.duplicates, m.held, m.failed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
