package ovsdbconn

import (
	"context"
	"fmt"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
)

// Config says where a database is and how to reach it.
type Config struct {
	// Endpoints is a comma list: unix:PATH, tcp:IP:PORT, ssl:IP:PORT. Several
	// endpoints are the members of one RAFT cluster.
	Endpoints   string
	PrivateKey  string
	Certificate string
	CACert      string
	// LeaderOnly makes the client use only the cluster leader.
	LeaderOnly bool
	// Logger receives libovsdb's logs; nil discards them.
	Logger *logr.Logger
}

// Options turns the config into libovsdb client options (without
// reconnect: see the package doc).
func (c Config) Options() ([]client.Option, error) {
	eps, err := ovsdbrpc.ParseEndpoints(c.Endpoints)
	if err != nil {
		return nil, err
	}
	l := logr.Discard()
	if c.Logger != nil {
		l = *c.Logger
	}
	opts := []client.Option{client.WithLogger(&l)}
	if c.LeaderOnly {
		opts = append(opts, client.WithLeaderOnly(true))
	}
	for _, ep := range eps {
		opts = append(opts, client.WithEndpoint(ep))
	}
	tc, err := ovsdbrpc.TLSFor(eps, c.PrivateKey, c.Certificate, c.CACert)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, client.WithTLSConfig(tc))
	}
	return opts, nil
}

// NewClient builds an unconnected client for dbModel.
func (c Config) NewClient(dbModel model.ClientDBModel, extra ...client.Option) (client.Client, error) {
	opts, err := c.Options()
	if err != nil {
		return nil, err
	}
	return client.NewOVSDBClient(dbModel, append(opts, extra...)...)
}

// Connect builds a client for dbModel and connects it, for one-shot work
// (a tool's read, dvr-chassis unregister); a failure names the endpoints.
// Nothing is monitored: the caller does that, or transacts only.
func (c Config) Connect(ctx context.Context, dbModel model.ClientDBModel) (client.Client, error) {
	cl, err := c.NewClient(dbModel)
	if err != nil {
		return nil, err
	}
	if err := cl.Connect(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Endpoints, err)
	}
	return cl, nil
}
