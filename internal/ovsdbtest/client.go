package ovsdbtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// ClientOption configures NewClient.
type ClientOption func(*clientConfig)

type clientConfig struct {
	monitorAll bool
	leaderOnly bool
	logger     logr.Logger
	pki        *PKI
	timeout    time.Duration
}

// MonitorAll makes NewClient monitor every table of the model, so the
// client's cache (List, Get, WhereCache) reflects the database.
func MonitorAll() ClientOption { return func(c *clientConfig) { c.monitorAll = true } }

// LeaderOnly connects only to a RAFT leader (libovsdb's WithLeaderOnly).
// libovsdb's in-memory server has no _Server database: do not use it there.
func LeaderOnly() ClientOption { return func(c *clientConfig) { c.leaderOnly = true } }

// WithLogger replaces the default logger, which discards everything.
func WithLogger(l logr.Logger) ClientOption { return func(c *clientConfig) { c.logger = l } }

// WithClientTLS makes the client present the PKI's client certificate and
// trust its CA, for a Server started WithSSL (use Server.SSLEndpoint).
func WithClientTLS(p *PKI) ClientOption {
	return func(c *clientConfig) { c.pki = p }
}

// ConnectTimeout bounds Connect and the initial monitor (default 10 s).
func ConnectTimeout(d time.Duration) ClientOption { return func(c *clientConfig) { c.timeout = d } }

// NewClient returns a libovsdb client for dbModel connected to endpoint, a
// comma list as Server.Endpoint and MemoryServer.Endpoint return. It always
// passes a logger (without one libovsdb turns the global stdr verbosity to
// maximum) and closes the client in tb.Cleanup.
func NewClient(tb testing.TB, endpoint string, dbModel model.ClientDBModel, opts ...ClientOption) client.Client {
	tb.Helper()
	cfg := clientConfig{logger: logr.Discard(), timeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	copts := []client.Option{client.WithLogger(&cfg.logger)}
	for _, ep := range strings.Split(endpoint, ",") {
		copts = append(copts, client.WithEndpoint(strings.TrimSpace(ep)))
	}
	if cfg.leaderOnly {
		copts = append(copts, client.WithLeaderOnly(true))
	}
	if cfg.pki != nil {
		tc, err := ovsdbrpc.TLSConfig(cfg.pki.ClientKey, cfg.pki.ClientCert, cfg.pki.CACert)
		if err != nil {
			tb.Fatal(err)
		}
		copts = append(copts, client.WithTLSConfig(tc))
	}
	c, err := client.NewOVSDBClient(dbModel, copts...)
	if err != nil {
		tb.Fatalf("libovsdb client for %s: %v", endpoint, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		tb.Fatalf("connect to %s: %v", endpoint, err)
	}
	tb.Cleanup(c.Close)
	if cfg.monitorAll {
		if _, err := c.MonitorAll(ctx); err != nil {
			tb.Fatalf("monitor all of %s at %s: %v", dbModel.Name(), endpoint, err)
		}
	}
	return c
}

// NBClient is NewClient with the generated NB model.
func NBClient(tb testing.TB, endpoint string, opts ...ClientOption) client.Client {
	tb.Helper()
	m, err := nbdb.FullDatabaseModel()
	if err != nil {
		tb.Fatal(err)
	}
	return NewClient(tb, endpoint, m, opts...)
}

// SBClient is NewClient with the generated SB model.
func SBClient(tb testing.TB, endpoint string, opts ...ClientOption) client.Client {
	tb.Helper()
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		tb.Fatal(err)
	}
	return NewClient(tb, endpoint, m, opts...)
}
