package northd

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are dvr-northd's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	rounds   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	rows     *prometheus.CounterVec
	active   prometheus.Gauge
	problems prometheus.Gauge
	unsynced prometheus.Gauge
	drift    *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dvr_northd_rounds_total",
			Help: "Translation rounds, by kind (full: recompute of everything; incremental: port-level changes only)."}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dvr_northd_round_duration_seconds",
			Help: "Duration of a round, from snapshot to commit acknowledged.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, []string{"kind"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dvr_northd_rows_written_total",
			Help: "Rows inserted, updated or deleted, by database table."}, []string{"table"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_northd_active",
			Help: "1 when this instance holds the lock and writes, 0 on standby."}),
		problems: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_northd_skipped_rows",
			Help: "NB rows (and allocations) skipped as invalid or exhausted in the last round."}),
		unsynced: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_northd_sb_out_of_sync",
			Help: "1 while the last round failed to commit (SB, or NB's status columns, may differ from what northd computed; sb_cfg does not advance), 0 otherwise."}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dvr_northd_drift_repaired_total",
			Help: "Values in northd-owned rows and columns that another writer changed, found and repaired, by table."}, []string{"table"}),
	}
	reg.MustRegister(m.rounds, m.duration, m.rows, m.active, m.problems, m.unsynced, m.drift)
	return m
}

func (m *Metrics) round(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.rounds.WithLabelValues(kind).Inc()
	m.duration.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *Metrics) wrote(c Counts) {
	if m == nil {
		return
	}
	for t, n := range c {
		m.rows.WithLabelValues(t).Add(float64(n))
	}
}

func (m *Metrics) setActive(a bool) {
	if m == nil {
		return
	}
	if a {
		m.active.Set(1)
	} else {
		m.active.Set(0)
	}
}

func (m *Metrics) setProblems(n int) {
	if m == nil {
		return
	}
	m.problems.Set(float64(n))
}

func (m *Metrics) setOutOfSync(b bool) {
	if m == nil {
		return
	}
	if b {
		m.unsynced.Set(1)
	} else {
		m.unsynced.Set(0)
	}
}

func (m *Metrics) drifted(table string) {
	if m == nil {
		return
	}
	m.drift.WithLabelValues(table).Inc()
}
