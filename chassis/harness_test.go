package chassis_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
	"github.com/dvr-ovn/dvr/nbctl"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// world is a real NB and SB ovsdb-server pair, optionally the real
// dvr-northd, and a reader of the SB.
type world struct {
	t      testing.TB
	nb, sb *ovsdbtest.Server
	northd *ovsdbtest.Daemon
	sbc    client.Client
	// tls: every program (dvr-northd, dvr-nbctl, dvr-chassis) is given
	// only the databases' ssl: remotes and a certificate of its own; the
	// test's own reads use the unix sockets.
	tls bool
	// chassisSB, when set, is the SB flags of a hypervisor's dvr-chassis
	// (its own certificate on an RBAC remote: rbac_test.go).
	chassisSB func(hv string) []string
}

// worldOpt configures newWorld.
type worldOpt func(*worldCfg)

type worldCfg struct {
	db  []ovsdbtest.Option
	tls bool
}

// clusters makes NB and SB 3-member RAFT clusters (every program gets the
// comma list of the members).
func clusters() worldOpt {
	return func(c *worldCfg) { c.db = append(c.db, ovsdbtest.Clustered(3)) }
}

// overTLS puts every connection of the programs on ssl: (ovs-pki
// certificates; a hypervisor reaches the SSL remotes through
// hvtest.ForwardEndpoints).
func overTLS() worldOpt {
	return func(c *worldCfg) { c.db = append(c.db, ovsdbtest.WithSSL()); c.tls = true }
}

func newWorld(t testing.TB, withNorthd bool, opts ...worldOpt) *world {
	t.Helper()
	var cfg worldCfg
	for _, o := range opts {
		o(&cfg)
	}
	w := &world{t: t, sb: ovsdbtest.StartSB(t, cfg.db...), tls: cfg.tls}
	nbOpts := cfg.db
	if cfg.tls { // one CA for both, as a deployment has
		nbOpts = append(nbOpts, ovsdbtest.WithPKI(w.sb.PKI))
	}
	w.nb = ovsdbtest.StartNB(t, nbOpts...)
	w.sbc = ovsdbtest.SBClient(t, w.sb.Endpoint(), ovsdbtest.MonitorAll())
	w.nbctl("init")
	if withNorthd {
		w.startNorthd()
	}
	return w
}

// nbEP and sbEP are the database endpoints the programs are given.
func (w *world) nbEP() string {
	if w.tls {
		return w.nb.SSLEndpoint()
	}
	return w.nb.Endpoint()
}

func (w *world) sbEP() string {
	if w.tls {
		return w.sb.SSLEndpoint()
	}
	return w.sb.Endpoint()
}

// tlsFlags are a program's SSL flags with a certificate whose CN is name
// (nothing without TLS), signed by the one CA of both databases.
func (w *world) tlsFlags(name string) []string {
	if !w.tls {
		return nil
	}
	p, err := w.sb.PKI.Sign(name)
	if err != nil {
		w.t.Fatal(err)
	}
	return []string{"--private-key=" + p.Key, "--certificate=" + p.Cert, "--ca-cert=" + w.sb.PKI.CACert}
}

func (w *world) startNorthd() {
	w.northd = w.newNorthd()
}

func (w *world) newNorthd() *ovsdbtest.Daemon {
	return ovsdbtest.StartDaemon(w.t, "dvr-northd", append([]string{"--nb", w.nbEP(), "--sb", w.sbEP()}, w.tlsFlags("dvr-northd")...)...)
}

// seed writes the seed topology (router r1, sw1 10.0.1.0/24, sw2
// 10.0.2.0/24, VM ports vm11 vm12 vm21 vm22).
func (w *world) seed() {
	w.t.Helper()
	for _, b := range fixtures.NbctlBatches(fixtures.Seed()) {
		w.nbctl(b...)
	}
}

// nbctl runs dvr-nbctl in process; globals --wait=... lead.
func (w *world) nbctl(args ...string) string {
	w.t.Helper()
	out, err := w.nbctlTimeout(30*time.Second, args...)
	if err != nil {
		w.t.Fatalf("dvr-nbctl %q: %v", args, err)
	}
	return out
}

func (w *world) nbctlTimeout(timeout time.Duration, args ...string) (string, error) {
	var b bytes.Buffer
	o := nbctl.Options{DB: w.nbEP(), Stdout: &b, Timeout: timeout}
	if w.tls {
		p := w.nb.PKI
		o.PrivateKey, o.Certificate, o.CACert = p.ClientKey, p.ClientCert, p.CACert
	}
	for len(args) > 0 && strings.HasPrefix(args[0], "--wait=") {
		o.Wait = strings.TrimPrefix(args[0], "--wait=")
		args = args[1:]
	}
	err := nbctl.Run(context.Background(), o, args)
	return b.String(), err
}

// chassisRun is one hypervisor with its dvr-chassis.
type chassisRun struct {
	w       *world
	hv      *hvtest.HV
	ip      string
	pidfile string
	p       *hvtest.Proc
	// extra are more dvr-chassis flags (e.g. --monitor=conditional).
	extra []string
}

func (w *world) hypervisors(names ...string) []*chassisRun {
	w.t.Helper()
	return w.runs(hvtest.StartAll(w.t, names))
}

// onUnderlay is n hypervisors hv1..hvN on one underlay switch
// (192.168.0.K/24, the encap IPs hypervisors() gives too), with every
// tunnel neighbour known: tunnelled packets really leave.
func (w *world) onUnderlay(n int) ([]*chassisRun, *hvtest.Switch) {
	w.t.Helper()
	sw, hvs := hvtest.Network(w.t, n)
	if err := sw.PopulateARP(); err != nil {
		w.t.Fatal(err)
	}
	return w.runs(hvs), sw
}

func (w *world) runs(hvs []*hvtest.HV) []*chassisRun {
	out := make([]*chassisRun, len(hvs))
	for i, hv := range hvs {
		out[i] = &chassisRun{w: w, hv: hv, ip: fmt.Sprintf("192.168.0.%d", i+1),
			pidfile: filepath.Join(hv.RunDir(), "dvr-chassis.pid")}
	}
	return out
}

func (c *chassisRun) args(extra ...string) []string {
	sb := append([]string{"--sb", c.w.sbEP()}, c.w.tlsFlags(c.hv.Name)...)
	if c.w.chassisSB != nil {
		sb = c.w.chassisSB(c.hv.Name)
	}
	return append(append(sb, "--ovs-db", c.hv.Endpoint(), "--datapath-type=netdev",
		"--encap-ip", c.ip, "--pidfile", c.pidfile, "--log-level=debug"), extra...)
}

// start runs dvr-chassis inside the hypervisor (stopped by pid at cleanup).
func (c *chassisRun) start() {
	c.w.t.Helper()
	if c.p != nil {
		if err := c.p.Restart(); err != nil {
			c.w.t.Fatal(err)
		}
		return
	}
	if c.w.tls {
		// The SB's SSL remotes, at the same addresses inside the
		// hypervisor's netns.
		if err := c.hv.ForwardEndpoints(c.w.sbEP()); err != nil {
			c.w.t.Fatal(err)
		}
	}
	c.p = c.hv.Spawn(ovsdbtest.Binary(c.w.t, "dvr-chassis"), c.args(c.extra...)...)
	c.w.t.Cleanup(func() {
		c.p.Stop(5 * time.Second)
		if c.w.t.Failed() {
			c.w.t.Logf("dvr-chassis on %s:\n%s", c.hv.Name, c.p.Output())
		}
	})
	c.ready()
}

// ready waits until the chassis is registered and both bridges are in
// the local OVSDB (a --wait=hv before registration does not wait for it,
// and AddVMPort would race the chassis creating br-int).
func (c *chassisRun) ready() {
	c.w.t.Helper()
	eventually(c.w.t, c.hv.Name+" registered with its bridges", func() (bool, string) {
		if _, _, _, ok := c.w.chassis(c.hv.Name); !ok {
			return false, "not registered"
		}
		for _, br := range []string{"br-int", "br-tun"} {
			if _, err := c.hv.Vsctl("br-exists", br); err != nil {
				return false, "no " + br
			}
		}
		return true, ""
	})
}

func (c *chassisRun) stop() {
	c.w.t.Helper()
	c.p.Stop(10 * time.Second)
	if code, _ := c.p.Wait(0); code != 0 {
		c.w.t.Fatalf("dvr-chassis on %s exited %d:\n%s", c.hv.Name, code, c.p.Output())
	}
}

// eventually polls cond for up to 20 s.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("timed out waiting for %s; last: %s", what, last)
}

func (w *world) list(rows any) {
	w.t.Helper()
	if err := w.sbc.List(context.Background(), rows); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) chassis(name string) (sbdb.Chassis, sbdb.ChassisPrivate, []sbdb.Encap, bool) {
	var chs []sbdb.Chassis
	var cps []sbdb.ChassisPrivate
	var encs []sbdb.Encap
	w.list(&chs)
	w.list(&cps)
	w.list(&encs)
	var ch sbdb.Chassis
	var cp sbdb.ChassisPrivate
	found := 0
	for _, c := range chs {
		if c.Name == name {
			ch = c
			found++
		}
	}
	for _, c := range cps {
		if c.Name == name {
			cp = c
			found++
		}
	}
	var es []sbdb.Encap
	for _, e := range encs {
		for _, u := range ch.Encaps {
			if e.UUID == u {
				es = append(es, e)
			}
		}
	}
	return ch, cp, es, found == 2
}

// binding is the chassis name a Port_Binding is bound to ("" if none).
func (w *world) binding(port string) string {
	var pbs []sbdb.PortBinding
	var chs []sbdb.Chassis
	w.list(&pbs)
	w.list(&chs)
	for _, pb := range pbs {
		if pb.LogicalPort != port {
			continue
		}
		if pb.Chassis == nil {
			return ""
		}
		for _, c := range chs {
			if c.UUID == *pb.Chassis {
				return c.Name
			}
		}
		return "?" + *pb.Chassis
	}
	return "(no Port_Binding)"
}

// claimed is the chassis whose DVR_Port_Claim holds port ("" if none):
// the binding as the chassis wrote it, before dvr-northd copies it into
// Port_Binding.chassis.
func (w *world) claimed(port string) string {
	var cls []sbdb.DVRPortClaim
	w.list(&cls)
	for _, c := range cls {
		if c.LogicalPort == port {
			return c.ChassisName
		}
	}
	return ""
}

// waitClaimed waits until chassis holds the claim on port ("" for none).
func (w *world) waitClaimed(port, chassis string) {
	w.t.Helper()
	eventually(w.t, port+" claimed by "+chassis, func() (bool, string) { c := w.claimed(port); return c == chassis, c })
}

// waitBound waits until port is bound to chassis ("" for none).
func (w *world) waitBound(port, chassis string) {
	w.t.Helper()
	eventually(w.t, port+" bound to "+chassis, func() (bool, string) { b := w.binding(port); return b == chassis, b })
}

// ports lists a bridge's port names (sorted), with ovs-vsctl.
func (c *chassisRun) ports(bridge string) []string {
	out, err := c.hv.Vsctl("list-ports", bridge)
	if err != nil {
		return nil
	}
	ps := strings.Fields(out)
	sort.Strings(ps)
	return ps
}

func (c *chassisRun) get(table, record, column string) string {
	out, err := c.hv.Vsctl("--if-exists", "get", table, record, column)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(out)
}

// tunnels lists the VXLAN ports on br-tun.
func (c *chassisRun) tunnels() string {
	var vx []string
	for _, p := range c.ports("br-tun") {
		if strings.HasPrefix(p, "vx-") {
			vx = append(vx, p)
		}
	}
	return strings.Join(vx, " ")
}

// localRows is what the chassis writes in the local OVSDB: the columns it
// owns of every bridge, port and interface (not vswitchd's own columns,
// which ovs-vswitchd rewrites), with UUIDs, so a rewrite shows.
func (c *chassisRun) localRows() string {
	cl := ovsdbtest.NewClient(c.w.t, c.hv.Endpoint(), mustModel(c.w.t), ovsdbtest.MonitorAll())
	var b strings.Builder
	var brs []vswitchd.Bridge
	var ps []vswitchd.Port
	var is []vswitchd.Interface
	for _, l := range []any{&brs, &ps, &is} {
		if err := cl.List(context.Background(), l); err != nil {
			c.w.t.Fatal(err)
		}
	}
	var lines []string
	for _, x := range brs {
		fm := "-"
		if x.FailMode != nil {
			fm = *x.FailMode
		}
		lines = append(lines, fmt.Sprintf("bridge %s %s %s %s %v %v", x.UUID, x.Name, fm, x.DatapathType, sorted(x.Ports), x.ExternalIDs))
	}
	for _, x := range ps {
		tag := -1
		if x.Tag != nil {
			tag = *x.Tag
		}
		lines = append(lines, fmt.Sprintf("port %s %s tag=%d %v %v %v", x.UUID, x.Name, tag, x.OtherConfig, sorted(x.Interfaces), x.ExternalIDs))
	}
	for _, x := range is {
		lines = append(lines, fmt.Sprintf("iface %s %s %s %v %v", x.UUID, x.Name, x.Type, x.Options, x.ExternalIDs))
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func mustModel(t testing.TB) model.ClientDBModel {
	m, err := vswitchd.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sbVersions is the _version of every row the chassis writes (Chassis,
// Encap, Chassis_Private) and of every Port_Binding: any write changes it.
func (w *world) sbVersions() string {
	w.t.Helper()
	var lines []string
	for _, table := range []string{"Chassis", "Encap", "Chassis_Private", "Port_Binding"} {
		for _, r := range ovsdbtest.SelectRows(w.t, w.sb.Endpoint(), "OVN_Southbound", table, "_uuid", "_version") {
			lines = append(lines, fmt.Sprintf("%s %v %v", table, ovsdbtest.Atoms(r["_uuid"]), ovsdbtest.Atoms(r["_version"])))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveBinaries()
	os.Exit(code)
}

// sbRows renders the rows the chassis writes (Chassis, Encap,
// Chassis_Private without its nb_cfg, Port_Binding.chassis) with UUIDs.
func (w *world) sbRows() string {
	w.t.Helper()
	var lines []string
	for table, cols := range map[string][]string{
		"Chassis":         {"_uuid", "name", "hostname", "encaps", "other_config", "external_ids"},
		"Encap":           {"_uuid", "type", "ip", "chassis_name", "options"},
		"Chassis_Private": {"_uuid", "name", "chassis", "external_ids"},
		"Port_Binding":    {"_uuid", "logical_port", "chassis"},
	} {
		for _, r := range ovsdbtest.SelectRows(w.t, w.sb.Endpoint(), "OVN_Southbound", table, cols...) {
			l := table
			for _, c := range cols {
				l += fmt.Sprintf(" %s=%v", c, r[c])
			}
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
