package nbctl_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// seedScript writes the committed seed.sh to a temp dir and runs it with
// dvr-nbctl against d.
func seedScript(d *nbdb) {
	d.t.Helper()
	b, err := fixtures.SeedFiles.ReadFile("seed/seed.sh")
	if err != nil {
		d.t.Fatal(err)
	}
	script := filepath.Join(d.t.TempDir(), "seed.sh")
	if err := os.WriteFile(script, b, 0o755); err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*ovsdbtest.NbctlHangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "--db="+d.ep())
	cmd.Env = append(os.Environ(), "DVR_NBCTL="+ovsdbtest.NbctlBinary(d.t))
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("seed.sh: %v: %s", err, out)
	}
}

// seedShow is the show output the seed topology must produce.
func seedShow(u map[string]string) string {
	var b strings.Builder
	for _, r := range fixtures.Seed().Routers {
		for _, s := range r.Subnets {
			fmt.Fprintf(&b, "switch %s (%s)\n", u["Logical_Switch:"+s.Switch], s.Switch)
			fmt.Fprintf(&b, "    port %s\n        type: router\n        router-port: %s\n", s.RouterLSP, s.LRP)
			for _, p := range s.Ports {
				fmt.Fprintf(&b, "    port %s\n        addresses: [%q]\n", p.Name, p.Addresses())
			}
		}
		fmt.Fprintf(&b, "router %s (%s)\n", u["Logical_Router:"+r.Name], r.Name)
		for _, s := range r.Subnets {
			fmt.Fprintf(&b, "    port %s\n        mac: %q\n        networks: [%q]\n", s.LRP, s.MAC, s.Network.String())
		}
	}
	return normShow(b.String())
}

// (b) dvr-nbctl builds the seed topology in a real OVN NB database, and
// ovn-nbctl shows all of it.
func TestInteropDVRWritesRealOVNNB(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl", "ovsdb-client", "bash")
	d := startOVN(t)
	seedScript(d)
	u := d.uuids()
	want := seedShow(u)
	if g := normShow(d.ovn("show")); g != want {
		t.Errorf("ovn-nbctl show:\n%s\nwant:\n%s", g, want)
	}
	if g := normShow(d.dvr("show")); g != want {
		t.Errorf("dvr-nbctl show:\n%s\nwant:\n%s", g, want)
	}
	// Each port row is exactly what ovn-nbctl would have written.
	for _, r := range fixtures.Seed().Routers {
		for _, s := range r.Subnets {
			if g := d.ovn("lsp-get-type", s.RouterLSP); g != "router\n" {
				t.Errorf("ovn-nbctl lsp-get-type %s: %q", s.RouterLSP, g)
			}
			if g := d.ovn("lsp-get-options", s.RouterLSP); g != "router-port="+s.LRP+"\n" {
				t.Errorf("ovn-nbctl lsp-get-options %s: %q", s.RouterLSP, g)
			}
			// ovn-nbctl resolves addresses "router" to the peer LRP's.
			if g, w := d.ovn("lsp-get-addresses", s.RouterLSP), s.MAC+" "+s.Network.String()+"\n"; g != w {
				t.Errorf("ovn-nbctl lsp-get-addresses %s: %q, want %q", s.RouterLSP, g, w)
			}
			for _, p := range s.Ports {
				if g := d.ovn("lsp-get-addresses", p.Name); g != p.Addresses()+"\n" {
					t.Errorf("ovn-nbctl lsp-get-addresses %s: %q", p.Name, g)
				}
			}
		}
	}
	// dvr-nbctl keeps working on the real schema: options, detach, deletes.
	d.dvr("lsp-set-options", "vm11", "requested-chassis=hv1")
	if g := d.ovn("lsp-get-options", "vm11"); g != "requested-chassis=hv1\n" {
		t.Errorf("ovn-nbctl lsp-get-options vm11: %q", g)
	}
	d.dvr("lr-detach", "r1-sw2", "--", "lsp-del", "vm22")
	if g := d.ovn("lsp-list", "sw2"); !strings.HasSuffix(g, " (vm21)\n") || strings.Count(g, "\n") != 1 {
		t.Errorf("ovn-nbctl lsp-list sw2 after lr-detach: %q", g)
	}
	if g := d.ovn("lrp-list", "r1"); !strings.HasSuffix(g, " (r1-sw1)\n") || strings.Count(g, "\n") != 1 {
		t.Errorf("ovn-nbctl lrp-list r1 after lr-detach: %q", g)
	}
	checkNoOrphans(t, d)
}

// --may-exist with the very arguments that created a row with ovn-nbctl is
// a no-op success, as it is for ovn-nbctl itself. ovn-nbctl stores MACs and
// networks as typed; dvr-nbctl must compare them by value, not as strings.
func TestInteropMayExistOnOVNRows(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl", "ovsdb-client")
	d := startOurs(t)
	seedByOVN(d)
	// The seed as ovn-nbctl wrote it is what lr-attach would have written.
	d.dvr("--may-exist", "ls-add", "sw1", "--", "--may-exist", "lr-add", "r1",
		"--", "--may-exist", "lsp-add", "sw1", "vm11",
		"--", "--may-exist", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "--may-exist", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
	wantRows(t, d, "--may-exist on the seed", seedLS, seedLSP, seedLR, seedLRP)

	args := []string{"r1", "r1-sw9", "00:00:00:00:FF:09", "2001:DB8:9::1/64", "10.0.9.1/24"}
	d.ovn(append([]string{"lrp-add"}, args...)...)
	d.ovn(append([]string{"--may-exist", "lrp-add"}, args...)...) // ovn-nbctl: fine
	d.dvr(append([]string{"--may-exist", "lrp-add"}, args...)...)
	d.dvr("--may-exist", "lrp-add", "r1", "r1-sw9", "00:00:00:00:ff:09", "10.0.9.1/24", "2001:db8:9::1/64")
	// A real difference is still refused.
	d.dvrFail("r1-sw9", "--may-exist", "lrp-add", "r1", "r1-sw9", "00:00:00:00:ff:09", "10.0.9.1/24")
}
