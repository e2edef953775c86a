package daemon

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
)

// ServeMetricsPprof is ServeMetrics with Go's profiler on the same
// listener under /debug/pprof/ (a debugging aid: --pprof; e.g.
// `go tool pprof http://ADDR/debug/pprof/profile?seconds=10`). Every other
// path serves the metrics, as ServeMetrics does.
func ServeMetricsPprof(addr string, reg *prometheus.Registry, log logrus.FieldLogger) (stop func()) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", metricsHandler(reg))
	return serveHTTP(addr, mux, log)
}
