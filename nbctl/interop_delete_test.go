package nbctl_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// checkNoOrphans fails unless every Logical_Switch_Port is in exactly one
// switch's ports and every Logical_Router_Port in exactly one router's, and
// every reference names an existing row.
func checkNoOrphans(t *testing.T, d *nbdb) {
	t.Helper()
	for _, c := range []struct{ parent, port string }{
		{"Logical_Switch", "Logical_Switch_Port"},
		{"Logical_Router", "Logical_Router_Port"},
	} {
		ports := map[string]string{} // uuid → name
		for _, r := range d.rows(c.port, "_uuid", "name") {
			ports[ovsdbtest.Atoms(r["_uuid"])[0]] = r["name"].(string)
		}
		refs := map[string][]string{} // port uuid → parents naming it
		for _, r := range d.rows(c.parent, "name", "ports") {
			for _, u := range ovsdbtest.Atoms(r["ports"]) {
				refs[u] = append(refs[u], r["name"].(string))
			}
		}
		for u, name := range ports {
			if n := len(refs[u]); n != 1 {
				t.Errorf("%s %s (%s) is in %d %s rows %q", c.port, name, u, n, c.parent, refs[u])
			}
		}
		for u, parents := range refs {
			if _, ok := ports[u]; !ok {
				t.Errorf("%s %q reference missing %s %s", c.parent, parents, c.port, u)
			}
		}
	}
}

// wantRows checks the names in the port and parent tables.
func wantRows(t *testing.T, d *nbdb, step string, ls, lsp, lr, lrp []string) {
	t.Helper()
	for _, c := range []struct {
		table string
		want  []string
	}{{"Logical_Switch", ls}, {"Logical_Switch_Port", lsp}, {"Logical_Router", lr}, {"Logical_Router_Port", lrp}} {
		if got := d.names(c.table); !slices.Equal(got, c.want) {
			t.Fatalf("after %s: %s names %q, want %q", step, c.table, got, c.want)
		}
	}
	checkNoOrphans(t, d)
}

// seedByDVR writes the seed topology with dvr-nbctl (one transaction).
func seedByDVR(d *nbdb) {
	d.t.Helper()
	d.dvr("init")
	d.dvr(fixtures.NbctlBatches(fixtures.Seed())[0]...)
}

// seedByOVN writes the seed topology with ovn-nbctl (one transaction).
func seedByOVN(d *nbdb) {
	d.t.Helper()
	d.ovn("init")
	d.ovn(fixtures.OVNNbctlBatches(fixtures.Seed())[0]...)
}

var (
	seedLS  = []string{"sw1", "sw2"}
	seedLSP = []string{"sw1-r1", "sw2-r1", "vm11", "vm12", "vm21", "vm22"}
	seedLR  = []string{"r1"}
	seedLRP = []string{"r1-sw1", "r1-sw2"}
)

// schemas runs f against our NB schema and the real OVN NB schema.
func schemas(t *testing.T, f func(t *testing.T, d *nbdb)) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl", "ovsdb-client")
	t.Run("ours", func(t *testing.T) { f(t, startOurs(t)) })
	t.Run("ovn", func(t *testing.T) { f(t, startOVN(t)) })
}

// (c) Rows created by dvr-nbctl, deleted by ovn-nbctl.
func TestInteropOVNDeletesDVRRows(t *testing.T) {
	schemas(t, func(t *testing.T, d *nbdb) {
		seedByDVR(d)
		wantRows(t, d, "seed", seedLS, seedLSP, seedLR, seedLRP)

		d.ovn("lsp-del", "vm11")
		wantRows(t, d, "ovn-nbctl lsp-del vm11", seedLS,
			[]string{"sw1-r1", "sw2-r1", "vm12", "vm21", "vm22"}, seedLR, seedLRP)

		// ovn-nbctl lrp-del leaves sw2-r1 naming the missing r1-sw2.
		d.ovn("lrp-del", "r1-sw2")
		wantRows(t, d, "ovn-nbctl lrp-del r1-sw2", seedLS,
			[]string{"sw1-r1", "sw2-r1", "vm12", "vm21", "vm22"}, seedLR, []string{"r1-sw1"})
		danglingStillWorks(t, d)

		d.ovn("ls-del", "sw1")
		wantRows(t, d, "ovn-nbctl ls-del sw1", []string{"sw2"},
			[]string{"sw2-r1", "vm21", "vm22"}, seedLR, []string{"r1-sw1"})
		d.ovn("lr-del", "r1")
		wantRows(t, d, "ovn-nbctl lr-del r1", []string{"sw2"}, []string{"sw2-r1", "vm21", "vm22"}, nil, nil)
		d.ovn("ls-del", "sw2")
		wantRows(t, d, "ovn-nbctl ls-del sw2", nil, nil, nil, nil)
	})
}

// danglingStillWorks: with sw2-r1's router-port naming a deleted LRP,
// dvr-nbctl show, lsp-list and lsp-set-addresses on sw2 still work.
func danglingStillWorks(t *testing.T, d *nbdb) {
	t.Helper()
	var sh jsShow
	d.dvrJSON(&sh, "show")
	sh.canon()
	var sw2 *jsNode
	for i := range sh.Switches {
		if sh.Switches[i].Name == "sw2" {
			sw2 = &sh.Switches[i]
		}
	}
	if sw2 == nil || len(sw2.Ports) != 3 || sw2.Ports[0].Name != "sw2-r1" || sw2.Ports[0].Options["router-port"] != "r1-sw2" {
		t.Fatalf("show -f json with a dangling router-port: %+v", sh)
	}
	if len(sh.Routers) != 1 || slices.ContainsFunc(sh.Routers[0].Ports, func(p jsPort) bool { return p.Name == "r1-sw2" }) {
		t.Fatalf("show -f json routers: %+v", sh.Routers)
	}
	if out := d.dvr("show"); !strings.Contains(out, "    port sw2-r1\n        type: router\n        router-port: r1-sw2\n") {
		t.Fatalf("show:\n%s", out)
	}
	var ports []jsEntry
	d.dvrJSON(&ports, "lsp-list", "sw2")
	if len(ports) != 3 || ports[0].Name != "sw2-r1" || ports[1].Name != "vm21" || ports[2].Name != "vm22" {
		t.Fatalf("lsp-list sw2: %+v", ports)
	}
	// The old gateway IP is free now; another port of sw2 may take it, and
	// duplicate checks still hold in this state.
	d.dvr("lsp-set-addresses", "vm21", "fa:16:3e:00:02:0d 10.0.2.1")
	if g := d.dvr("lsp-get-addresses", "vm21"); g != "fa:16:3e:00:02:0d 10.0.2.1\n" {
		t.Fatalf("lsp-get-addresses vm21: %q", g)
	}
	d.dvrFail("10.0.2.1", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0e 10.0.2.1")
	d.dvr("lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12", "--", "lsp-add", "sw2", "vm23",
		"--", "lsp-set-addresses", "vm23", "fa:16:3e:00:02:0f 10.0.2.13")
	d.dvr("lsp-del", "vm23")
	// lr-detach of the missing LRP is "not found"; --if-exists makes it a no-op.
	d.dvrFail("r1-sw2", "lr-detach", "r1-sw2")
	d.dvr("--if-exists", "lr-detach", "r1-sw2")
	// ovn-nbctl still shows the state too.
	if out := d.ovn("show"); !strings.Contains(out, "router-port: r1-sw2") {
		t.Fatalf("ovn-nbctl show:\n%s", out)
	}
}

// (c) Rows created by ovn-nbctl, deleted by dvr-nbctl.
func TestInteropDVRDeletesOVNRows(t *testing.T) {
	schemas(t, func(t *testing.T, d *nbdb) {
		seedByOVN(d)
		wantRows(t, d, "seed", seedLS, seedLSP, seedLR, seedLRP)

		d.dvr("lsp-del", "vm12")
		wantRows(t, d, "dvr-nbctl lsp-del vm12", seedLS,
			[]string{"sw1-r1", "sw2-r1", "vm11", "vm21", "vm22"}, seedLR, seedLRP)

		// lr-detach removes the LRP and the router-type LSP ovn-nbctl made.
		d.dvr("lr-detach", "r1-sw1")
		wantRows(t, d, "dvr-nbctl lr-detach r1-sw1", seedLS,
			[]string{"sw2-r1", "vm11", "vm21", "vm22"}, seedLR, []string{"r1-sw2"})

		// lrp-del alone, as in OVN, leaves the router-type LSP dangling.
		d.dvr("lrp-del", "r1-sw2")
		wantRows(t, d, "dvr-nbctl lrp-del r1-sw2", seedLS,
			[]string{"sw2-r1", "vm11", "vm21", "vm22"}, seedLR, nil)
		danglingStillWorks(t, d)

		d.dvr("ls-del", "sw2")
		wantRows(t, d, "dvr-nbctl ls-del sw2", []string{"sw1"}, []string{"vm11"}, seedLR, nil)
		d.dvr("lr-del", "r1", "--", "ls-del", "sw1")
		wantRows(t, d, "dvr-nbctl lr-del r1 -- ls-del sw1", nil, nil, nil, nil)
	})
}

// Chains mixing creates and deletes of the same rows in one transaction
// leave nothing behind either, and ovn-nbctl agrees on the result.
func TestInteropDVRChainsLeaveNoOrphans(t *testing.T) {
	schemas(t, func(t *testing.T, d *nbdb) {
		seedByOVN(d)
		d.dvr("lsp-add", "sw1", "tmp", "--", "lsp-del", "tmp",
			"--", "lr-add", "r2", "--", "lr-attach", "r2", "sw2", "r2-sw2", "fa:16:3e:00:ff:22", "10.0.2.254/24",
			"--", "lr-detach", "r2-sw2", "--", "lr-del", "r2",
			"--", "lsp-del", "vm11", "--", "lsp-add", "sw2", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:02:01 10.0.2.21")
		wantRows(t, d, "dvr-nbctl chain", seedLS, seedLSP, seedLR, seedLRP)
		if g := d.ovn("lsp-list", "sw2"); !strings.Contains(g, " (vm11)\n") {
			t.Fatalf("ovn-nbctl lsp-list sw2: %q", g)
		}
		if g := d.ovn("lsp-get-addresses", "vm11"); g != "fa:16:3e:00:02:01 10.0.2.21\n" {
			t.Fatalf("ovn-nbctl lsp-get-addresses vm11: %q", g)
		}
	})
}
