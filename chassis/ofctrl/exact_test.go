package ofctrl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// inputs are chassis that between them produce every kind of flow
// chassis/flows computes: two routers on one network, a router on two
// networks, local and remote VMs, several tunnels (a flood flow with more
// than one output), a remote with no tunnel, remote DVR MACs, learn.
func inputs() []flows.Input {
	small := flows.Input{
		Chassis:  "hv1",
		DVRMAC:   "fa:16:3f:00:00:01",
		PatchTun: flows.Port{Name: "patch-tun", OfPort: 1},
		PatchInt: flows.Port{Name: "patch-int", OfPort: 2},
		Remotes: []flows.Remote{
			{Name: "hv2", DVRMAC: "fa:16:3f:00:00:02", EncapIP: "192.168.0.2", Tunnel: flows.Port{Name: "vxlan-c0a80002", OfPort: 3}},
		},
		Networks: []flows.Network{{Name: "sw1", Key: 2, VLAN: 5}},
		Interfaces: []flows.Interface{
			{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01", Addrs: []string{"10.0.1.1/24"}, Router: "r1",
				Hosted: true, QR: flows.Port{Name: "qr-r1-sw1", OfPort: 7}},
			{Name: "r2-sw1", Network: 2, Key: 4, MAC: "fa:16:3e:00:ee:01", Addrs: []string{"10.0.3.1/24"}, Router: "r2",
				Hosted: true, QR: flows.Port{Name: "qr-r2-sw1", OfPort: 10}},
		},
		LocalPorts: []flows.LocalPort{
			{Name: "vm11", Network: 2, Key: 2, MAC: "fa:16:3e:00:01:0b", IPs: []string{"10.0.1.11"}, Port: flows.Port{Name: "vm11", OfPort: 8}},
			{Name: "vm31", Network: 2, Key: 5, MAC: "fa:16:3e:00:03:1f", IPs: []string{"10.0.3.31"}, Port: flows.Port{Name: "vm31", OfPort: 11}},
		},
		RemotePorts: []flows.RemotePort{
			{Name: "vm12", Network: 2, Key: 3, MAC: "fa:16:3e:00:01:0c", IPs: []string{"10.0.1.12"}, Chassis: "hv2"},
		},
	}
	wide := flows.Input{
		Chassis:  "hv1",
		DVRMAC:   "fa:16:3f:00:00:01",
		PatchTun: flows.Port{Name: "patch-tun", OfPort: 1},
		PatchInt: flows.Port{Name: "patch-int", OfPort: 1},
		Remotes: []flows.Remote{
			{Name: "hv2", DVRMAC: "fa:16:3f:00:00:02", EncapIP: "192.168.0.2", Tunnel: flows.Port{Name: "vxlan-c0a80002", OfPort: 2}},
			{Name: "hv3", DVRMAC: "fa:16:3f:00:00:03", EncapIP: "192.168.0.3", Tunnel: flows.Port{Name: "vxlan-c0a80003", OfPort: 3}},
			{Name: "hv4", DVRMAC: "fa:16:3f:00:00:04", EncapIP: "192.168.0.4"},
		},
		Networks: []flows.Network{{Name: "sw1", Key: 2, VLAN: 1}, {Name: "sw2", Key: 0x123456, VLAN: 4094}},
		Interfaces: []flows.Interface{
			{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01", Addrs: []string{"10.0.1.1/24"}, Router: "r1",
				Hosted: true, QR: flows.Port{Name: "qr-r1-sw1", OfPort: 2}},
			{Name: "r1-sw2", Network: 0x123456, Key: 1, MAC: "fa:16:3e:00:ff:02", Addrs: []string{"10.0.2.1/24", "10.0.4.1/24"},
				Router: "r1", Hosted: true, QR: flows.Port{Name: "qr-r1-sw2", OfPort: 3}},
		},
		LocalPorts: []flows.LocalPort{
			{Name: "vm11", Network: 2, Key: 2, MAC: "fa:16:3e:00:01:0b", IPs: []string{"10.0.1.11"}, Port: flows.Port{Name: "vm11", OfPort: 4}},
			{Name: "vm21", Network: 0x123456, Key: 2, MAC: "fa:16:3e:00:02:0b", IPs: []string{"10.0.2.11"}, Port: flows.Port{Name: "vm21", OfPort: 65000}},
			{Name: "vm99", Network: 2, Key: 9, MAC: "fa:16:3e:00:09:09", IPs: []string{"10.9.9.9"}, Port: flows.Port{Name: "vm99", OfPort: 6}},
		},
		RemotePorts: []flows.RemotePort{
			{Name: "vm12", Network: 2, Key: 3, MAC: "fa:16:3e:00:01:0c", IPs: []string{"10.0.1.12", "10.0.1.13"}, Chassis: "hv2"},
			{Name: "vm13", Network: 2, Key: 4, MAC: "fa:16:3e:00:01:0d", IPs: []string{"10.0.1.14"}, Chassis: "hv3"},
			{Name: "vm22", Network: 0x123456, Key: 3, MAC: "fa:16:3e:00:02:0c", IPs: []string{"10.0.2.12"}, Chassis: "hv3"},
			{Name: "vm23", Network: 0x123456, Key: 4, MAC: "fa:16:3e:00:02:0d", IPs: []string{"10.0.2.13"}, Chassis: "hv4"},
		},
	}
	return []flows.Input{small, wide}
}

// Every flow of the computed chassis, compiled to binary and installed
// through our connection, dumps back (ovs-ofctl) exactly as computed; a
// new connection reads them back as installed (our encoding is OVS's,
// byte for byte) and sends nothing.
func TestCompileExactOnOVS(t *testing.T) {
	for i, in := range inputs() {
		t.Run(in.Chassis+"-"+string(rune('a'+i)), func(t *testing.T) {
			o := startOVS(t)
			o.addChassis(in)
			r := flows.Compute(in)
			if len(r.Skipped) != 0 {
				t.Fatalf("skipped: %v", r.Skipped)
			}
			for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
				want := flows.Entries(r.Flows(br))
				b := o.installer(br.String())
				rep := b.sync(t, want)
				mustNoRejection(t, rep)
				if rep.Added != len(want) || rep.FlowMods != len(want) || !rep.ReadBack {
					t.Fatalf("%s: report %+v, want %d adds after a read-back", br, rep, len(want))
				}
				o.mustMatch(br.String(), want)
				if b.Installed() != len(want) {
					t.Fatalf("%s: Installed() = %d, want %d", br, b.Installed(), len(want))
				}
				b.Drop()
				b.waitPoke(t)
				rep = b.sync(t, want)
				if !rep.ReadBack || rep.FlowMods != 0 || b.Installed() != len(want) {
					t.Fatalf("%s: after a reconnect: report %+v, installed %d; want a read-back of %d flows and nothing sent",
						br, rep, b.Installed(), len(want))
				}
			}
		})
	}
}

// The inputs of TestCompileExactOnOVS use the whole vocabulary of
// chassis/flows, and every (table, priority) kind of flow it computes.
func TestInputsCoverVocabulary(t *testing.T) {
	seen := map[string]bool{}
	kinds := map[string]bool{}
	for _, in := range inputs() {
		r := flows.Compute(in)
		for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
			for _, e := range flows.Entries(r.Flows(br)) {
				kinds[fmt.Sprintf("%s table=%s priority=%d", br, flows.Table(uint16(br)<<8|uint16(e.Table)).Name(), e.Priority)] = true
				if e.Match == "" {
					seen["match:"] = true
				}
				for _, tok := range strings.Split(e.Match, ",") {
					k, v, _ := strings.Cut(tok, "=")
					if strings.Contains(v, "/") {
						k += "/mask"
					}
					seen["match:"+k] = true
				}
				toks, err := flows.SplitTop(e.Actions)
				if err != nil {
					t.Fatal(err)
				}
				for _, tok := range toks {
					name, arg, _ := strings.Cut(tok, ":")
					switch {
					case strings.HasPrefix(tok, "learn("):
						name = "learn"
					case name == "set_field" || name == "move" || name == "load":
						_, dst, _ := strings.Cut(arg, "->")
						name += "->" + dst
					}
					seen["action:"+name] = true
				}
			}
		}
	}
	for _, w := range []string{"match:", "match:arp", "match:in_port", "match:dl_vlan", "match:dl_src", "match:dl_dst",
		"match:dl_dst/mask", "match:arp_op", "match:arp_tpa", "match:arp_tha", "match:tun_id", "match:reg6",
		"action:drop", "action:NORMAL", "action:IN_PORT", "action:output", "action:goto_table", "action:pop_vlan",
		"action:push_vlan", "action:set_field->eth_src", "action:set_field->eth_dst", "action:set_field->vlan_vid",
		"action:set_field->tun_id", "action:set_field->reg6", "action:set_field->arp_sha", "action:set_field->arp_spa",
		"action:move->NXM_OF_ETH_DST[]", "action:move->NXM_NX_ARP_THA[]", "action:move->NXM_OF_ARP_TPA[]",
		"action:load->NXM_OF_ARP_OP[]", "action:learn"} {
		if !seen[w] {
			t.Errorf("no flow uses %s", w)
		}
	}
	// Every kind of flow (bridge, table, priority) of the golden files.
	files, err := filepath.Glob("../../ovsdb-fixtures/chassis/flows/*/*.flows")
	if err != nil || len(files) == 0 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		br := ""
		for _, l := range strings.Split(string(b), "\n") {
			if h, ok := strings.CutPrefix(l, "# "); ok {
				br = h
				continue
			}
			if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "table=") {
				if k := br + " " + f[0] + " " + f[1]; !kinds[k] {
					t.Errorf("no flow of the kind %q", k)
					kinds[k] = true
				}
			}
		}
	}
}
