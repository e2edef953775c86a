package chassis_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
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
		OVS: ovsdbconn.Config{Endpoints: hv.Endpoint()}, EncapIP: "192.168.0.1", DatapathType: "netdev", RunDir: hv.RunDir(), Log: log,
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

// A 3-member RAFT SB given as a comma list: the chassis (not leader-only)
// registers and reports through whichever member it reaches.
func TestRAFTCluster(t *testing.T) {
	t.Parallel()
	sb := ovsdbtest.StartSB(t, ovsdbtest.Clustered(3))
	hv := hvtest.Start(t, "hv1")
	log := logrus.New()
	log.SetOutput(io.Discard)
	c, err := chassis.New(chassis.Config{SB: ovsdbconn.Config{Endpoints: sb.Endpoint()},
		OVS: ovsdbconn.Config{Endpoints: hv.Endpoint()}, EncapIP: "192.168.0.1", DatapathType: "netdev", RunDir: hv.RunDir(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	w := &world{t: t, sb: sb, sbc: ovsdbtest.SBClient(t, sb.Endpoint(), ovsdbtest.MonitorAll())}
	ops, err := w.sbc.Create(&sbdb.SBGlobal{NbCfg: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := w.sbc.Transact(ctx, ops...); err != nil || res[0].Error != "" {
		t.Fatalf("insert SB_Global: %v %+v", err, res)
	}
	eventually(t, "registration and report on the cluster", func() (bool, string) {
		_, cp, es, ok := w.chassis("hv1")
		return ok && len(es) == 1 && cp.NbCfg == 3, ""
	})
}

// lockedBuffer is a log output the test reads while the daemon writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With no --system-id or --encap-ip the chassis takes them from the local
// Open_vSwitch external_ids; until ovn-encap-ip is set it says why it
// cannot register, and registers once it is.
func TestIdentityFromLocalOVS(t *testing.T) {
	t.Parallel()
	sb := ovsdbtest.StartSB(t)
	hv := hvtest.Start(t, "hv1", hvtest.SystemID("chassis-a"))
	log := logrus.New()
	var buf lockedBuffer
	log.SetOutput(&buf)
	c, err := chassis.New(chassis.Config{SB: ovsdbconn.Config{Endpoints: sb.Endpoint()},
		OVS: ovsdbconn.Config{Endpoints: hv.Endpoint()}, DatapathType: "netdev", RunDir: hv.RunDir(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	w := &world{t: t, sb: sb, sbc: ovsdbtest.SBClient(t, sb.Endpoint(), ovsdbtest.MonitorAll())}
	eventually(t, "the reason logged", func() (bool, string) {
		return strings.Contains(buf.String(), "no encap IP: neither --encap-ip nor Open_vSwitch external_ids:ovn-encap-ip is set"), buf.String()
	})
	if _, _, _, ok := w.chassis("chassis-a"); ok {
		t.Fatal("registered without an encap IP")
	}
	hv.MustVsctl("set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip=192.168.0.7")
	eventually(t, "registration", func() (bool, string) {
		ch, _, es, ok := w.chassis("chassis-a")
		return ok && len(es) == 1 && es[0].IP == "192.168.0.7" && ch.Hostname == "hv1", buf.String()
	})
	// A new encap IP updates the Encap in place (same rows).
	ch0, _, es0, _ := w.chassis("chassis-a")
	hv.MustVsctl("set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip=192.168.0.8")
	eventually(t, "the new encap IP", func() (bool, string) {
		ch, _, es, ok := w.chassis("chassis-a")
		return ok && len(es) == 1 && es[0].IP == "192.168.0.8" && es[0].UUID == es0[0].UUID && ch.UUID == ch0.UUID, fmt.Sprint(es)
	})
}
