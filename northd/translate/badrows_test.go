package translate_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/northd/translate"
)

// TestBadRowsSkipped: rows other clients wrote that dvr-nbctl would have
// refused are reported, left out of SB, and the rest is unaffected.
func TestBadRowsSkipped(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(in translate.Input)
		skipped string // port or router port left without a binding
		reason  string
	}{
		{"malformed address", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.300"}
		}, "vm12", "10.0.1.300"},
		{"dynamic address", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"dynamic"}
		}, "vm12", "dynamic"},
		{"duplicate IP", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.11"}
		}, "vm12", "IP 10.0.1.11 is also used by vm11"},
		{"IP of the gateway", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.1"}
		}, "vm12", "IP 10.0.1.1 is also used by router port r1-sw1"},
		{"duplicate MAC", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0b 10.0.1.12"}
		}, "vm12", "MAC fa:16:3e:00:01:0b is also used by vm11"},
		{"router port names a missing LRP", func(in translate.Input) {
			for u, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					delete(in.RouterPorts, u)
					r := in.Routers[uuidOf(in, "lr", "r1")]
					r.Ports = slices.DeleteFunc(slices.Clone(r.Ports), func(x string) bool { return x == u })
				}
			}
		}, "r1-sw2", `router-port "r1-sw2" names no router port`},
		{"invalid router network", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"10.0.2.0/24"}
				}
			}
		}, "r1-sw2", "network address"},
		{"router network without prefix", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"10.0.2.1"}
				}
			}
		}, "r1-sw2", "prefix length is required"},
		{"bad router MAC", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.MAC = "zz:16:3e:00:ff:02"
				}
			}
		}, "r1-sw2", "bad mac"},
		{"VM port in two switches", func(in translate.Input) {
			sw2 := in.Switches[uuidOf(in, "ls", "sw2")]
			sw2.Ports = append(slices.Clone(sw2.Ports), uuidOf(in, "lsp", "vm12"))
		}, "vm12", "listed in the ports of 2 switches (sw1, sw2)"},
		{"router port in two routers", func(in translate.Input) {
			for u, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					in.Routers["lr_r2"] = &translate.Router{UUID: "lr_r2", Name: "r2", Ports: []string{u}}
				}
			}
		}, "r1-sw2", "listed in the ports of 2 routers (r1, r2)"},
		// the classes of internal/nbvalid (dvr-nbctl refuses the same)
		{"router address on a VM port", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"router"}
		}, "vm12", `address "router" on a port of type ""`},
		{"MAC twice in one port", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.12", "fa:16:3e:00:01:0c 10.0.1.13"}
		}, "vm12", "fa:16:3e:00:01:0c: MAC address given twice"},
		{"VM loopback IP", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 127.0.0.5"}
		}, "vm12", "127.0.0.5: loopback"},
		{"VM on the network address", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.0"}
		}, "vm12", "10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1"},
		{"VM on the broadcast address", func(in translate.Input) {
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.255"}
		}, "vm12", "10.0.1.255: the broadcast address of subnet 10.0.1.0/24 of router port r1-sw1"},
		{"IPv6 VM on the subnet-router anycast address", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw1" {
					p.Networks = []string{"10.0.1.1/24", "fd00:1::1/64"}
				}
			}
			in.SwitchPorts[uuidOf(in, "lsp", "vm12")].Addresses = []string{"fa:16:3e:00:01:0c 10.0.1.12 fd00:1::"}
		}, "vm12", "fd00:1::: the subnet-router anycast address of subnet fd00:1::/64 of router port r1-sw1"},
		{"empty peer", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					empty := ""
					p.Peer = &empty
				}
			}
		}, "r1-sw2", `bad peer "": peer=: empty peer`},
		{"two networks of one port overlap", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"10.0.2.1/24", "10.0.2.129/25"}
				}
			}
		}, "r1-sw2", "10.0.2.129/25: network overlaps 10.0.2.1/24 on the same port"},
		{"router network on loopback", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"127.0.2.1/24"}
				}
			}
		}, "r1-sw2", "127.0.2.1/24: invalid network: it overlaps 127.0.0.0/8 (loopback)"},
		{"router network over multicast", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"208.0.0.1/2"}
				}
			}
		}, "r1-sw2", "it overlaps 224.0.0.0/4 (multicast)"},
		{"router network on the limited broadcast", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"255.255.255.255/32"}
				}
			}
		}, "r1-sw2", "it overlaps 255.255.255.255/32 (the limited broadcast)"},
		{"router network on 0.0.0.0/8", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"0.0.2.1/8"}
				}
			}
		}, "r1-sw2", "it overlaps 0.0.0.0/8"},
		{"IPv6 router network on ::1", func(in translate.Input) {
			for _, p := range in.RouterPorts {
				if p.Name == "r1-sw2" {
					p.Networks = []string{"::1/128"}
				}
			}
		}, "r1-sw2", "it overlaps ::1/128 (loopback)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := seedInput()
			c.mutate(in)
			out := translate.Translate(in)
			if _, ok := out.Ports[c.skipped]; ok {
				t.Fatalf("%s reached SB", c.skipped)
			}
			found := false
			for _, p := range out.Problems {
				found = found || strings.Contains(p.Reason, c.reason)
			}
			if !found {
				t.Fatalf("no problem mentioning %q: %v", c.reason, out.Problems)
			}
			if _, ok := out.Ports["vm11"]; !ok {
				t.Fatal("a good port was dropped too")
			}
			if _, ok := out.Ports["r1-sw1"]; !ok {
				t.Fatal("a good interface was dropped too")
			}
		})
	}
}

// TestDuplicateIPKeepsTheBoundPort: of two ports with one IP, the one SB
// already has keeps its binding, whatever the names.
func TestDuplicateIPKeepsTheBoundPort(t *testing.T) {
	in := seedInput()
	sw1 := uuidOf(in, "ls", "sw1")
	in.SwitchPorts["lsp_aaa"] = &translate.SwitchPort{UUID: "lsp_aaa", Name: "aaa", Addresses: []string{"fa:16:3e:00:01:aa 10.0.1.12"}}
	in.Switches[sw1].Ports = append(slices.Clone(in.Switches[sw1].Ports), "lsp_aaa")
	in.PortKeys["vm12"] = translate.PortKey{Datapath: sw1, Key: 3}
	out := translate.Translate(in)
	if _, ok := out.Ports["vm12"]; !ok {
		t.Fatal("the bound port lost its binding to a newcomer")
	}
	if _, ok := out.Ports["aaa"]; ok {
		t.Fatal("the newcomer with a duplicate IP got a binding")
	}
}

func TestNonDistributedRouter(t *testing.T) {
	in := seedInput()
	in.Routers[uuidOf(in, "lr", "r1")].Options = map[string]string{"distributed": "false"}
	out := translate.Translate(in)
	if _, ok := out.Datapaths[uuidOf(in, "lr", "r1")]; ok {
		t.Fatal("a non-distributed router got a datapath")
	}
	if _, ok := out.Ports["r1-sw1"]; ok || len(out.Problems) != 2 {
		t.Fatalf("interfaces of a non-distributed router: ports %v problems %v", out.Ports["r1-sw1"], out.Problems)
	}
}
