package translate_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

func TestSeedWithoutChassis(t *testing.T) {
	in := seedInput()
	out := translate.Translate(in)
	want := map[string]int{"dp:r1": 1, "dp:sw1": 2, "dp:sw2": 3,
		"pb:r1-sw1": 1, "pb:vm11": 2, "pb:vm12": 3, "pb:r1-sw2": 1, "pb:vm21": 2, "pb:vm22": 3}
	if got := keysByName(out); !maps.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	ri := out.Ports["r1-sw1"]
	if ri.Type != sbkeys.TypeRouterInterface || !slices.Equal(ri.MAC, []string{"fa:16:3e:00:ff:01 10.0.1.1/24"}) ||
		ri.Options["router"] != "r1" || ri.Datapath != uuidOf(in, "ls", "sw1") ||
		ri.ExternalIDs["logical-router"] != uuidOf(in, "lr", "r1") || ri.ExternalIDs["logical-router-port"] == "" {
		t.Fatalf("router interface binding %+v", ri)
	}
	if vm := out.Ports["vm11"]; vm.Type != "" || !slices.Equal(vm.MAC, []string{"fa:16:3e:00:01:0b 10.0.1.11"}) {
		t.Fatalf("vm binding %+v", vm)
	}
	if _, ok := out.Ports["sw1-r1"]; ok {
		t.Fatal("router-type LSP got a binding of its own")
	}
	if len(out.Hosting) != 0 || len(out.DVRMACs) != 0 || len(out.Problems) != 0 {
		t.Fatalf("hosting %v macs %v problems %v", out.Hosting, out.DVRMACs, out.Problems)
	}
	if !out.LSPUp[uuidOf(in, "lsp", "sw1-r1")] || out.LSPUp[uuidOf(in, "lsp", "vm11")] {
		t.Fatal("LSP.up: router port must be up, unbound VM down")
	}
}

func TestRouterWithoutInterfacesHostedNowhere(t *testing.T) {
	in := seedInput()
	in.Routers["lr_new"] = &translate.Router{UUID: "lr_new", Name: "r9"}
	in.Chassis = []string{"hv1"}
	in.Claims["vm11"] = translate.Claim{Chassis: "hv1", Up: true}
	out := translate.Translate(in)
	for h := range out.Hosting {
		if h.Router == "lr_new" {
			t.Fatalf("router without interfaces hosted on %s", h.Chassis)
		}
	}
	if _, ok := out.Datapaths["lr_new"]; !ok {
		t.Fatal("distributed router without interfaces still gets its datapath")
	}
}

func TestHostingRule(t *testing.T) {
	in := seedInput()
	in.Chassis = []string{"hv1", "hv2", "hv3"}
	out := translate.Translate(in)
	if len(out.Hosting) != 0 {
		t.Fatalf("no claims, yet hosted: %v", out.Hosting)
	}
	// r2 has an interface on sw1 in another subnet, and one on sw9;
	// r3 has an interface on sw9 only.
	in.Routers["lr_r2"] = &translate.Router{UUID: "lr_r2", Name: "r2", Ports: []string{"lrp_r2a", "lrp_r2b"}}
	in.Routers["lr_r3"] = &translate.Router{UUID: "lr_r3", Name: "r3", Ports: []string{"lrp_r3"}}
	in.RouterPorts["lrp_r2a"] = &translate.RouterPort{UUID: "lrp_r2a", Name: "r2-sw1", MAC: "fa:16:3e:00:ff:21", Networks: []string{"192.168.50.1/24"}}
	in.RouterPorts["lrp_r2b"] = &translate.RouterPort{UUID: "lrp_r2b", Name: "r2-sw9", MAC: "fa:16:3e:00:ff:29", Networks: []string{"192.168.9.1/24"}}
	in.RouterPorts["lrp_r3"] = &translate.RouterPort{UUID: "lrp_r3", Name: "r3-sw9", MAC: "fa:16:3e:00:ff:39", Networks: []string{"192.168.9.3/24"}}
	in.SwitchPorts["lsp_sw1_r2"] = &translate.SwitchPort{UUID: "lsp_sw1_r2", Name: "sw1-r2", Type: "router", Options: map[string]string{"router-port": "r2-sw1"}}
	in.SwitchPorts["lsp_sw9_r2"] = &translate.SwitchPort{UUID: "lsp_sw9_r2", Name: "sw9-r2", Type: "router", Options: map[string]string{"router-port": "r2-sw9"}}
	in.SwitchPorts["lsp_sw9_r3"] = &translate.SwitchPort{UUID: "lsp_sw9_r3", Name: "sw9-r3", Type: "router", Options: map[string]string{"router-port": "r3-sw9"}}
	sw1 := uuidOf(in, "ls", "sw1")
	in.Switches[sw1].Ports = append(slices.Clone(in.Switches[sw1].Ports), "lsp_sw1_r2")
	in.Switches["ls_sw9"] = &translate.Switch{UUID: "ls_sw9", Name: "sw9", Ports: []string{"lsp_sw9_r2", "lsp_sw9_r3"}}

	in.Claims["vm11"] = translate.Claim{Chassis: "hv1"}
	in.Claims["vm22"] = translate.Claim{Chassis: "hv3", Up: true}
	in.Claims["vm12"] = translate.Claim{Chassis: "gone"} // a chassis not registered
	out = translate.Translate(in)
	r1 := uuidOf(in, "lr", "r1")
	want := map[translate.Hosting]bool{
		{Router: r1, Chassis: "hv1"}: true, {Router: r1, Chassis: "hv3"}: true,
		// related: r2 has an interface on sw1, a network of r1, which is
		// hosted on hv1 and hv3; r3 is two hops away and is not.
		{Router: "lr_r2", Chassis: "hv1"}: true, {Router: "lr_r2", Chassis: "hv3"}: true,
	}
	if !maps.Equal(out.Hosting, want) {
		t.Fatalf("hosting %v, want %v", out.Hosting, want)
	}
	if len(out.Problems) != 0 {
		t.Fatalf("problems: %v", out.Problems)
	}
	if out.LSPUp[uuidOf(in, "lsp", "vm11")] || !out.LSPUp[uuidOf(in, "lsp", "vm22")] || out.LSPUp[uuidOf(in, "lsp", "vm12")] {
		t.Fatal("LSP.up must follow claim and its up")
	}
}

func TestKeysStableAndFreedKeysWaitOneRound(t *testing.T) {
	in := seedInput()
	out1 := translate.Translate(in)
	in = carry(in, out1)
	if out2 := translate.Translate(in); !maps.Equal(keysByName(out2), keysByName(out1)) {
		t.Fatal("keys changed on an unchanged input")
	}
	// Delete sw1 (key 2) and vm21 (key 2 on sw2); add sw0 and vm23.
	sw1 := uuidOf(in, "ls", "sw1")
	delete(in.Switches, sw1)
	sw2 := uuidOf(in, "ls", "sw2")
	vm21 := uuidOf(in, "lsp", "vm21")
	in.Switches[sw2].Ports = slices.DeleteFunc(slices.Clone(in.Switches[sw2].Ports), func(u string) bool { return u == vm21 })
	in.Switches["ls_sw0"] = &translate.Switch{UUID: "ls_sw0", Name: "sw0"}
	in.SwitchPorts["lsp_vm23"] = &translate.SwitchPort{UUID: "lsp_vm23", Name: "vm23", Addresses: []string{"fa:16:3e:00:02:0d 10.0.2.13"}}
	in.Switches[sw2].Ports = append(in.Switches[sw2].Ports, "lsp_vm23")
	out3 := translate.Translate(in)
	k := keysByName(out3)
	if k["dp:sw0"] != 4 || k["pb:vm23"] != 4 || k["dp:sw2"] != 3 || k["pb:vm22"] != 3 {
		t.Fatalf("freed keys reused in the same round or keys moved: %v", k)
	}
	// Next round: the freed keys are free again, but adopted keys stay.
	in = carry(in, out3)
	in.Switches["ls_sw5"] = &translate.Switch{UUID: "ls_sw5", Name: "sw5"}
	k = keysByName(translate.Translate(in))
	if k["dp:sw5"] != 2 || k["dp:sw0"] != 4 || k["pb:vm23"] != 4 {
		t.Fatalf("next round: %v", k)
	}
}

func TestDVRMACsUniqueStableAnd4OctetBase(t *testing.T) {
	in := seedInput()
	in.BaseMAC = "fa:16:3f:ab:00:00"
	for i := 0; i < 10000; i++ {
		in.Chassis = append(in.Chassis, fmt.Sprintf("hv%05d", i))
	}
	// A port MAC inside the space must never be handed out.
	in.SwitchPorts[uuidOf(in, "lsp", "vm11")].Addresses = []string{"fa:16:3f:ab:00:01 10.0.1.11"}
	out := translate.Translate(in)
	if len(out.DVRMACs) != 10000 || len(out.Problems) != 0 {
		t.Fatalf("%d MACs, problems %v", len(out.DVRMACs), out.Problems)
	}
	seen := map[string]string{}
	for c, m := range out.DVRMACs {
		if !strings.HasPrefix(m, "fa:16:3f:ab:") {
			t.Fatalf("%s: %s outside the 4-octet base", c, m)
		}
		if m == "fa:16:3f:ab:00:01" {
			t.Fatalf("%s got a port's MAC", c)
		}
		if o, dup := seen[m]; dup {
			t.Fatalf("%s and %s share %s", c, o, m)
		}
		seen[m] = c
	}
	if out.DVRMACs["hv00000"] != "fa:16:3f:ab:00:02" || out.DVRMACs["hv00001"] != "fa:16:3f:ab:00:03" {
		t.Fatalf("not lowest-free in name order: %s %s", out.DVRMACs["hv00000"], out.DVRMACs["hv00001"])
	}
	// Stable across a restart; a removed chassis's MAC is not reused in
	// the same round, and is the next round.
	in = carry(in, out)
	freed := in.DVRMACs["hv00000"]
	in.Chassis = append(slices.DeleteFunc(slices.Clone(in.Chassis), func(c string) bool { return c == "hv00000" }), "new1")
	out2 := translate.Translate(in)
	for c, m := range out.DVRMACs {
		if c != "hv00000" && out2.DVRMACs[c] != m {
			t.Fatalf("%s's MAC moved: %s → %s", c, m, out2.DVRMACs[c])
		}
	}
	if _, ok := out2.DVRMACs["hv00000"]; ok || out2.DVRMACs["new1"] == freed {
		t.Fatalf("freed MAC handed out in the same round: %s", out2.DVRMACs["new1"])
	}
	in = carry(in, out2)
	in.Chassis = append(in.Chassis, "new2")
	if got := translate.Translate(in).DVRMACs["new2"]; got != freed {
		t.Fatalf("next round new2 got %s, want the freed %s", got, freed)
	}
}

func TestDVRMACExhaustion(t *testing.T) {
	in := seedInput()
	in.BaseMAC = "fa:16:3f:ab:00:00" // 65,535 MACs
	for i := 0; i < 65536; i++ {
		in.Chassis = append(in.Chassis, fmt.Sprintf("hv%05d", i))
	}
	out := translate.Translate(in)
	if len(out.DVRMACs) != 65535 {
		t.Fatalf("%d MACs allocated, want 65535", len(out.DVRMACs))
	}
	if _, ok := out.DVRMACs["hv65535"]; ok || len(out.Problems) != 1 || out.Problems[0].Name != "hv65535" ||
		!strings.Contains(out.Problems[0].Reason, "exhausted") {
		t.Fatalf("exhaustion not reported for the last chassis: %v", out.Problems)
	}
	if len(out.Ports) != 6 || len(out.Datapaths) != 3 {
		t.Fatal("exhaustion of MACs must leave the rest working")
	}
}

func TestBadBaseMACFallsBack(t *testing.T) {
	in := seedInput()
	in.BaseMAC = "01:00:00:00:00:00"
	in.Chassis = []string{"hv1"}
	out := translate.Translate(in)
	if out.DVRMACs["hv1"] != "fa:16:3f:00:00:01" || len(out.Problems) != 1 {
		t.Fatalf("macs %v problems %v", out.DVRMACs, out.Problems)
	}
}

func TestDeterministic(t *testing.T) {
	in := seedInput()
	in.Chassis = []string{"hv3", "hv1", "hv2"}
	in.Claims["vm11"] = translate.Claim{Chassis: "hv1", Up: true}
	a := translate.Translate(in)
	for i := 0; i < 20; i++ {
		b := translate.Translate(in)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatal("two translations of one input differ")
		}
	}
}
