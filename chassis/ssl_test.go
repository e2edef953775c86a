package chassis_test

import (
	"context"
	"io"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// The chassis registers over an SB reached only over SSL (in process: the
// SSL remote listens on the host's loopback, which a hypervisor's netns
// does not share; its local OVSDB is a unix socket either way).
func TestOverSSL(t *testing.T) {
	t.Parallel()
	sb := ovsdbtest.StartSB(t, ovsdbtest.WithSSL())
	hv := hvtest.Start(t, "hv1")
	log := logrus.New()
	log.SetOutput(io.Discard)
	c, err := chassis.New(chassis.Config{
		SB:  ovsdbconn.Config{Endpoints: sb.SSLEndpoint(), PrivateKey: sb.PKI.ClientKey, Certificate: sb.PKI.ClientCert, CACert: sb.PKI.CACert},
		OVS: ovsdbconn.Config{Endpoints: hv.Endpoint()}, EncapIP: "192.168.0.1", DatapathType: "netdev", Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	w := &world{t: t, sb: sb, sbc: ovsdbtest.SBClient(t, sb.Endpoint(), ovsdbtest.MonitorAll())}
	eventually(t, "registration over SSL", func() (bool, string) { _, _, es, ok := w.chassis("hv1"); return ok && len(es) == 1, "" })
}
