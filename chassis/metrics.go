package chassis

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are dvr-chassis' Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	rounds   prometheus.Counter
	failures prometheus.Counter
	duration prometheus.Histogram
	claimed  prometheus.Gauge
	hasMAC   prometheus.Gauge
	tunnels  prometheus.Gauge
	vlans    prometheus.Gauge
	nbCfg    prometheus.Gauge
	nss      prometheus.Gauge
	qrs      prometheus.Gauge
	neigh    prometheus.Gauge
	nflows   *prometheus.GaugeVec
	flowMods *prometheus.CounterVec
	sbPorts  prometheus.Gauge
	monitors prometheus.Counter
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rounds: prometheus.NewCounter(prometheus.CounterOpts{Name: "dvr_chassis_rounds_total",
			Help: "Rounds that read both databases and applied the difference."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "dvr_chassis_round_failures_total",
			Help: "Rounds that failed (a read or a commit); the next one retries everything."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "dvr_chassis_round_duration_seconds",
			Help: "Duration of a round, from reading the caches to the last commit acknowledged.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		claimed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_claimed_ports",
			Help: "Port_Bindings bound to this chassis after the last round."}),
		hasMAC: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_has_dvr_mac",
			Help: "1 once a DVR_MAC_Binding names this chassis, 0 while it waits for one."}),
		tunnels: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_tunnel_ports",
			Help: "VXLAN ports on the tunnel bridge (one per remote chassis sharing a network)."}),
		vlans: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_local_vlans",
			Help: "Local VLANs in use (one per network with a served port here)."}),
		nbCfg: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_nb_cfg",
			Help: "The SB_Global.nb_cfg last reported in Chassis_Private."}),
		nss: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_router_namespaces",
			Help: "qrouter namespaces this chassis should hold (one per hosted router)."}),
		qrs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_qr_devices",
			Help: "qr- devices (router interfaces) in those namespaces."}),
		neigh: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_neighbour_entries",
			Help: "Permanent ARP entries in those namespaces."}),
		nflows: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dvr_chassis_flows",
			Help: "Flows of ours installed, by bridge (learned flows not counted)."}, []string{"bridge"}),
		flowMods: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dvr_chassis_flow_mods_total",
			Help: "OpenFlow flow-mods sent (adds, modifies, deletes), by bridge."}, []string{"bridge"}),
		sbPorts: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dvr_chassis_sb_port_bindings",
			Help: "Port_Bindings in the SB cache at the last round (all of them in --monitor=all, those this chassis needs in conditional)."}),
		monitors: prometheus.NewCounter(prometheus.CounterOpts{Name: "dvr_chassis_monitor_changes_total",
			Help: "SB monitor replacements (a fresh client) because the conditional interest changed."}),
	}
	reg.MustRegister(m.nflows, m.flowMods)
	reg.MustRegister(m.rounds, m.failures, m.duration, m.claimed, m.hasMAC, m.tunnels, m.vlans, m.nbCfg, m.nss, m.qrs, m.neigh,
		m.sbPorts, m.monitors)
	return m
}

func (m *Metrics) round(d time.Duration, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.failures.Inc()
		return
	}
	m.rounds.Inc()
	m.duration.Observe(d.Seconds())
}

func (m *Metrics) state(claimed, tunnels, vlans int, hasMAC bool) {
	if m == nil {
		return
	}
	m.claimed.Set(float64(claimed))
	m.tunnels.Set(float64(tunnels))
	m.vlans.Set(float64(vlans))
	if hasMAC {
		m.hasMAC.Set(1)
	} else {
		m.hasMAC.Set(0)
	}
}

func (m *Metrics) reported(nbCfg int) {
	if m != nil {
		m.nbCfg.Set(float64(nbCfg))
	}
}

func (m *Metrics) routers(namespaces, devices, neighbours int) {
	if m != nil {
		m.nss.Set(float64(namespaces))
		m.qrs.Set(float64(devices))
		m.neigh.Set(float64(neighbours))
	}
}

func (m *Metrics) flows(bridge string, installed, mods int) {
	if m != nil {
		m.nflows.WithLabelValues(bridge).Set(float64(installed))
		m.flowMods.WithLabelValues(bridge).Add(float64(mods))
	}
}

func (m *Metrics) sbCache(ports int) {
	if m != nil {
		m.sbPorts.Set(float64(ports))
	}
}

func (m *Metrics) monitorChange() {
	if m != nil {
		m.monitors.Inc()
	}
}
