package daemon

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"
)

// Logger is a daemon's logger for its --log-level and --log-format
// (text or json).
func Logger(level, format string) (*logrus.Logger, error) {
	log := logrus.New()
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	log.SetLevel(lvl)
	switch format {
	case "text":
	case "json":
		log.SetFormatter(&logrus.JSONFormatter{})
	default:
		return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
	}
	return log, nil
}

// LockPidFileLogged is LockPidFile for --pidfile, logging a pid file it
// took over from a process that died or that did not lock it.
func LockPidFileLogged(path string, log logrus.FieldLogger) (*PidFile, error) {
	pf, err := LockPidFile(path)
	if err != nil {
		return nil, fmt.Errorf("--pidfile %w", err)
	}
	switch {
	case pf.StaleRunning:
		log.WithField("pidfile", path).Warnf("took over the pid file of process %d, which runs but did not lock it", pf.Stale)
	case pf.Stale != 0:
		log.WithField("pidfile", path).Infof("took over the pid file of process %d, which is not running", pf.Stale)
	}
	return pf, nil
}

// ServeMetrics serves reg, with the Go and process collectors added, on
// addr (--metrics-address) until stop is called.
func ServeMetrics(addr string, reg *prometheus.Registry, log logrus.FieldLogger) (stop func()) {
	return serveHTTP(addr, metricsHandler(reg), log)
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func serveHTTP(addr string, h http.Handler, log logrus.FieldLogger) (stop func()) {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Error("metrics server stopped")
		}
	}()
	return func() { srv.Close() }
}

// UseLogFile sends log to path (--log-file), opened for appending and
// reopened on SIGHUP by Hangup.Serve; "" keeps stderr and returns nil.
func UseLogFile(log *logrus.Logger, path string) (*LogFile, error) {
	if path == "" {
		return nil, nil
	}
	lf, err := OpenLogFile(path)
	if err != nil {
		return nil, fmt.Errorf("--log-file: %w", err)
	}
	log.SetOutput(lf)
	return lf, nil
}
