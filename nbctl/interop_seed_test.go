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

// dvr-nbctl's validation sees the rows ovn-nbctl wrote: the gateway of a
// router-type port, other ports' MACs and IPs (IPv6 too).
func TestInteropValidationSeesOVNRows(t *testing.T) {
	schemas(t, func(t *testing.T, d *nbdb) {
		seedByOVN(d)
		d.ovn("lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12 2001:db8:1::c")
		for _, c := range []struct{ addr, want string }{
			{"fa:16:3e:00:01:99 10.0.1.1", "10.0.1.1"},           // r1-sw1's gateway IP
			{"fa:16:3e:00:ff:01 10.0.1.99", "fa:16:3e:00:ff:01"}, // r1-sw1's MAC
			{"fa:16:3e:00:01:99 10.0.1.12", "10.0.1.12"},         // vm12's IP
			{"FA:16:3E:00:01:0C 10.0.1.99", "fa:16:3e:00:01:0c"}, // vm12's MAC, other case
			{"fa:16:3e:00:01:99 2001:db8:1:0::c", "2001:db8:1::c"},
		} {
			d.dvrFail(c.want, "lsp-set-addresses", "vm11", c.addr)
		}
		if g := d.ovn("lsp-get-addresses", "vm11"); g != "fa:16:3e:00:01:0b 10.0.1.11\n" {
			t.Fatalf("vm11 changed by refused commands: %q", g)
		}
		// The same addresses are fine on the other switch.
		d.dvr("lsp-set-addresses", "vm21", "fa:16:3e:00:02:99 10.0.1.12")
		// And a new attachment may not take a VM's IP as its gateway.
		d.dvr("lr-add", "r2")
		d.dvrFail("10.0.1.11", "lr-attach", "r2", "sw1", "r2-sw1", "fa:16:3e:00:ff:21", "10.0.1.11/24")
		if g := d.names("Logical_Router_Port"); len(g) != 2 {
			t.Fatalf("router ports after a refused lr-attach: %q", g)
		}
	})
}

// lr-detach removes every router-type port that names the LRP, even ones
// ovn-nbctl put on other switches, and leaves a non-router port with a
// stray router-port option alone.
func TestInteropLrDetachAllAttachments(t *testing.T) {
	schemas(t, func(t *testing.T, d *nbdb) {
		seedByOVN(d)
		d.ovn("lsp-add", "sw2", "extra", "--", "lsp-set-type", "extra", "router",
			"--", "lsp-set-addresses", "extra", "router", "--", "lsp-set-options", "extra", "router-port=r1-sw1",
			"--", "lsp-add", "sw2", "stray", "--", "lsp-set-options", "stray", "router-port=r1-sw1")
		d.dvr("lr-detach", "r1-sw1")
		wantRows(t, d, "lr-detach r1-sw1", seedLS,
			[]string{"stray", "sw2-r1", "vm11", "vm12", "vm21", "vm22"}, seedLR, []string{"r1-sw2"})
	})
}
