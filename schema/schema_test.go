package schema_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// ovn-sbctl manages chassis in our SB: chassis-add writes Chassis + Encap,
// show and list print them, and chassis-del removes them even while
// dvr-northd's rows name the chassis and a port is bound to it.
func TestOVNSbctlChassisLifecycle(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-sbctl")
	s := ovsdbtest.StartSB(t)
	sbctl := func(args ...string) string {
		return runTool(t, "ovn-sbctl", append([]string{"--db=" + s.Endpoint(), "--timeout=20"}, args...)...)
	}
	sbctl("chassis-add", "hv1", "vxlan", "192.168.0.1")
	show := sbctl("show")
	mustContain(t, "ovn-sbctl show", show, "Chassis hv1", "Encap vxlan", `ip: "192.168.0.1"`)
	mustMatch(t, "ovn-sbctl list Chassis", sbctl("list", "Chassis"), `(?m)^name\s*: hv1$`, `(?m)^encaps\s*: \[[0-9a-f-]{36}\]$`)

	c := ovsdbtest.SBClient(t, s.Endpoint())
	ovsdbtest.AssertRows(t, c,
		&sbdb.Chassis{Name: "hv1", Encaps: []string{"e"}},
		&sbdb.Encap{UUID: "e", Type: sbdb.EncapTypeVxlan, IP: "192.168.0.1", ChassisName: "hv1",
			Options: map[string]string{"csum": "true"}},
	)
	chassisUUID := ovsdbtest.ReadRows(t, c, sbdb.ChassisTable)[0].(*sbdb.Chassis).UUID
	mustInsert(t, c,
		&sbdb.DatapathBinding{UUID: "sw", TunnelKey: 1, ExternalIDs: map[string]string{"name": "sw1"}},
		&sbdb.DatapathBinding{UUID: "r", TunnelKey: 2, ExternalIDs: map[string]string{"name": "r1"}},
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw", TunnelKey: 1, Chassis: &chassisUUID},
		&sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:01"},
		&sbdb.DVRRouterBinding{Datapath: "r", ChassisName: "hv1"},
	)
	mustContain(t, "ovn-sbctl show with a bound port", sbctl("show"), "Port_Binding vm1")

	sbctl("chassis-del", "hv1")
	if out := sbctl("list", "Chassis") + sbctl("list", "Encap"); strings.TrimSpace(out) != "" {
		t.Errorf("after chassis-del, Chassis and Encap still list:\n%s", out)
	}
	// The weak reference from the port is cleared; northd's rows, keyed by
	// name, stay until northd removes them.
	ovsdbtest.AssertRows(t, c,
		ovsdbtest.NoRows(&sbdb.Chassis{}), ovsdbtest.NoRows(&sbdb.Encap{}),
		&sbdb.DatapathBinding{UUID: "sw", TunnelKey: 1, ExternalIDs: map[string]string{"name": "sw1"}},
		&sbdb.DatapathBinding{UUID: "r", TunnelKey: 2, ExternalIDs: map[string]string{"name": "r1"}},
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw", TunnelKey: 1},
		&sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:01"},
		&sbdb.DVRRouterBinding{Datapath: "r", ChassisName: "hv1"},
	)
}

// Typed libovsdb models round-trip through ovsdb-server, and the server's
// indexes and constraints reject duplicates and bad values.
func TestSBTypedRowsAndConstraints(t *testing.T) {
	s := ovsdbtest.StartSB(t)
	c := ovsdbtest.SBClient(t, s.Endpoint())
	lsUUID, lrUUID, lrpUUID := "7d9ad1c2-0b0a-4a55-9d4e-3b1f3c6f0a01", "1c6b7e43-5d0e-4a7b-8f8e-2d1a4c3b2a02", "9f2e8d7c-6b5a-4c3d-8e1f-0a9b8c7d6e03"
	want := []model.Model{
		&sbdb.DatapathBinding{UUID: "sw", TunnelKey: 1001,
			ExternalIDs: map[string]string{"name": "sw1", "logical-switch": lsUUID}},
		&sbdb.DatapathBinding{UUID: "r", TunnelKey: 1,
			ExternalIDs: map[string]string{"name": "r1", "logical-router": lrUUID}},
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw", TunnelKey: 1,
			MAC: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
		&sbdb.PortBinding{LogicalPort: "lrp-sw1", Type: "distributed-router-interface", Datapath: "sw", TunnelKey: 2,
			MAC:         []string{"fa:16:3e:00:01:01 10.0.1.1/24 2001:db8::1/64"},
			Options:     map[string]string{"router": "r1"},
			ExternalIDs: map[string]string{"logical-router-port": lrpUUID, "logical-router": lrUUID}},
		&sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:01"},
		&sbdb.DVRRouterBinding{Datapath: "r", ChassisName: "hv1"},
	}
	mustInsert(t, c, want...)
	ovsdbtest.AssertRows(t, c, want...)

	macs := ovsdbtest.ReadRows(t, c, sbdb.DVRMACBindingTable)
	if m := macs[0].(*sbdb.DVRMACBinding); len(macs) != 1 || m.ChassisName != "hv1" || m.MAC != "fa:16:3f:00:00:01" {
		t.Fatalf("DVR_MAC_Binding read back as %+v", macs)
	}
	var swDP, rDP string
	for _, m := range ovsdbtest.ReadRows(t, c, sbdb.DatapathBindingTable) {
		if dp := m.(*sbdb.DatapathBinding); dp.TunnelKey == 1 {
			rDP = dp.UUID
		} else {
			swDP = dp.UUID
		}
	}

	for _, tc := range []struct {
		name string
		row  model.Model
		want string
	}{
		{"duplicate DVR MAC", &sbdb.DVRMACBinding{ChassisName: "hv2", MAC: "fa:16:3f:00:00:01"}, `index on column "mac"`},
		{"second DVR MAC for a chassis", &sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:02"}, `index on column "chassis_name"`},
		{"router bound twice to a chassis", &sbdb.DVRRouterBinding{Datapath: rDP, ChassisName: "hv1"}, `index on columns "datapath" and "chassis_name"`},
		{"router binding to a missing datapath", &sbdb.DVRRouterBinding{Datapath: lsUUID, ChassisName: "hv2"}, "referential integrity violation"},
		{"duplicate logical_port", &sbdb.PortBinding{LogicalPort: "vm1", Datapath: swDP, TunnelKey: 9}, `index on column "logical_port"`},
		{"duplicate port tunnel key", &sbdb.PortBinding{LogicalPort: "vm9", Datapath: swDP, TunnelKey: 1}, `index on columns "datapath" and "tunnel_key"`},
		{"port tunnel key out of range", &sbdb.PortBinding{LogicalPort: "vm9", Datapath: swDP, TunnelKey: 32768}, "32768 is not in the valid range 1 to 32767"},
		{"duplicate VNI", &sbdb.DatapathBinding{TunnelKey: 1001}, `index on column "tunnel_key"`},
		{"VNI out of range", &sbdb.DatapathBinding{TunnelKey: 1 << 24}, "16777216 is not in the valid range 1 to 16777215"},
	} {
		err := insert(c, tc.row)
		t.Logf("%s: %v", tc.name, err)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	ovsdbtest.AssertRows(t, c, want...) // nothing was written
}

// The real ovn-nbctl creates, shows and deletes switches, ports, routers and
// router ports (including the router-type LSP that attaches a router) in
// our NB subset.
func TestOVNNbctlOnOurNB(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl")
	s := ovsdbtest.StartNB(t)
	nbctl := func(args ...string) string {
		return runTool(t, "ovn-nbctl", append([]string{"--db=" + s.Endpoint(), "--timeout=20"}, args...)...)
	}
	nbctl("ls-add", "sw1")
	nbctl("lsp-add", "sw1", "vm1")
	nbctl("lsp-set-addresses", "vm1", "fa:16:3e:00:00:01 10.0.1.5")
	nbctl("lr-add", "r1")
	nbctl("lrp-add", "r1", "lrp-sw1", "fa:16:3e:00:01:01", "10.0.1.1/24")
	nbctl("lsp-add", "sw1", "rp-sw1", "--", "lsp-set-type", "rp-sw1", "router",
		"--", "lsp-set-addresses", "rp-sw1", "router", "--", "lsp-set-options", "rp-sw1", "router-port=lrp-sw1")
	mustContain(t, "ovn-nbctl show", nbctl("show"),
		"(sw1)", "port vm1", `addresses: ["fa:16:3e:00:00:01 10.0.1.5"]`, "port rp-sw1", "type: router",
		"router-port: lrp-sw1", "(r1)", "port lrp-sw1", `mac: "fa:16:3e:00:01:01"`, `networks: ["10.0.1.1/24"]`)

	c := ovsdbtest.NBClient(t, s.Endpoint())
	ovsdbtest.AssertRows(t, c,
		&nbdb.NBGlobal{},
		&nbdb.LogicalSwitch{Name: "sw1", Ports: []string{"vm1", "rp"}},
		&nbdb.LogicalSwitchPort{UUID: "vm1", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
		&nbdb.LogicalSwitchPort{UUID: "rp", Name: "rp-sw1", Type: "router", Addresses: []string{"router"},
			Options: map[string]string{"router-port": "lrp-sw1"}},
		&nbdb.LogicalRouter{Name: "r1", Ports: []string{"lrp"}},
		&nbdb.LogicalRouterPort{UUID: "lrp", Name: "lrp-sw1", MAC: "fa:16:3e:00:01:01", Networks: []string{"10.0.1.1/24"}},
	)

	// Deleting ports only drops the parent's reference: the server's
	// garbage collection of non-root rows does the rest.
	nbctl("lsp-del", "vm1")
	nbctl("lrp-del", "lrp-sw1")
	ovsdbtest.AssertRows(t, c,
		&nbdb.LogicalSwitch{Name: "sw1", Ports: []string{"rp"}},
		&nbdb.LogicalSwitchPort{UUID: "rp", Name: "rp-sw1", Type: "router", Addresses: []string{"router"},
			Options: map[string]string{"router-port": "lrp-sw1"}},
		&nbdb.LogicalRouter{Name: "r1"},
		ovsdbtest.NoRows(&nbdb.LogicalRouterPort{}),
	)
	nbctl("ls-del", "sw1")
	nbctl("lr-del", "r1")
	ovsdbtest.AssertRows(t, c, &nbdb.NBGlobal{},
		ovsdbtest.NoRows(&nbdb.LogicalSwitch{}), ovsdbtest.NoRows(&nbdb.LogicalSwitchPort{}),
		ovsdbtest.NoRows(&nbdb.LogicalRouter{}), ovsdbtest.NoRows(&nbdb.LogicalRouterPort{}))
}

// runTool runs an OVN utility and returns its stdout. Warnings on stderr
// (tables of OVN's schema that ours lacks) are expected and only shown on
// failure.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OVN_NB_DAEMON=") { // never route to a daemon-mode nbctl
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func mustMatch(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("%s does not match %s:\n%s", what, p, out)
		}
	}
}

func insert(c client.Client, rows ...model.Model) error {
	ops, err := c.Create(rows...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	// The error of a failed operation is in opErrs; err only counts them.
	opErrs, err := ovsdb.CheckOperationResults(res, ops)
	for _, e := range opErrs {
		err = fmt.Errorf("%w: %v", err, e)
	}
	return err
}

func mustInsert(t *testing.T, c client.Client, rows ...model.Model) {
	t.Helper()
	if err := insert(c, rows...); err != nil {
		t.Fatal(err)
	}
}
