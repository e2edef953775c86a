package northd

import (
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// TestOverSSL runs northd against NB and SB reached only over SSL.
func TestOverSSL(t *testing.T) {
	e := newEnv(t, ovsdbtest.WithSSL())
	tlsCfg := func(s *ovsdbtest.Server) ovsdbconn.Config {
		return ovsdbconn.Config{Endpoints: s.SSLEndpoint(), PrivateKey: s.PKI.ClientKey, Certificate: s.PKI.ClientCert, CACert: s.PKI.CACert}
	}
	log := logrus.New()
	var buf strings.Builder
	log.SetOutput(&lockedWriter{w: &buf})
	n, err := New(Config{NB: tlsCfg(e.nb), SB: tlsCfg(e.sb), InstanceID: "ssl", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e.nbctl("--wait=sb", "--timeout=30", "lr-add", "r1", "--", "ls-add", "sw1", "--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24")
	waitFor(t, "datapaths over SSL", func() bool { return strings.Contains(e.canonical(), "Port_Binding sw1/r1-sw1") })
	if !n.Active() {
		t.Fatal("not active")
	}
}
