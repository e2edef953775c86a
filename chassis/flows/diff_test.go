package flows

import (
	"reflect"
	"testing"
)

func entry(table uint8, prio uint16, match string, c Cookie, actions string) Entry {
	return Entry{Key: Key{Table: table, Priority: prio, Match: match}, Cookie: c, Actions: actions}
}

func TestDiff(t *testing.T) {
	base := NewCookie(CatBase, 0)
	port := NewCookie(CatLocalPort, PortObject(2, 2))
	learned := NewCookie(CatLearned, 0)
	foreign := Cookie(0x1234)
	desired := []Entry{
		entry(0, 0, "", base, "goto_table:60"),                         // installed, same
		entry(1, 20, "dl_vlan=1,dl_dst=a", port, "set_field:x,goto"),   // installed, other actions
		entry(60, 20, "dl_vlan=1,dl_dst=a", port, "pop_vlan,output:8"), // installed, other cookie
		entry(60, 1, "", base, "NORMAL"),                               // new
		entry(0, 5, "in_port=1", base, "drop"),                         // held by another owner
		entry(20, 1, "dl_vlan=1,dl_dst=b", base, "x"),                  // held by a learned flow
		entry(20, 1, "dl_vlan=1,dl_dst=c", learned, "y"),               // learned: never desired
	}
	installed := []Entry{
		entry(0, 0, "", base, "goto_table:60"),
		entry(1, 20, "dl_vlan=1,dl_dst=a", port, "set_field:old,goto"),
		entry(60, 20, "dl_vlan=1,dl_dst=a", base, "pop_vlan,output:8"),
		entry(0, 5, "in_port=1", foreign, "drop"),
		entry(20, 1, "dl_vlan=1,dl_dst=b", learned, "x"),
		entry(20, 1, "dl_vlan=1,dl_dst=d", learned, "z"),  // learned, not desired: kept
		entry(3, 5, "dl_vlan=9", port, "output:3"),        // ours, gone: deleted
		entry(0, 7, "in_port=9", foreign, "drop"),         // foreign, not desired: kept
		entry(0, 7, "in_port=10", Cookie(0), "drop"),      // cookie 0: not ours
		entry(1, 1, "", NewCookie(CatBase, 0), "drop"),    // ours, gone
		entry(1, 20, "dl_vlan=1,dl_dst=z", port, "gone"),  // ours, gone
		entry(0, 1, "in_port=4", Cookie(0xd7c1<<48), "x"), // near our owner bits, not ours
	}
	c := Diff(desired, installed)
	want := Changes{
		Add: []Entry{entry(60, 1, "", base, "NORMAL")},
		Modify: []Entry{
			entry(1, 20, "dl_vlan=1,dl_dst=a", port, "set_field:x,goto"),
			entry(60, 20, "dl_vlan=1,dl_dst=a", port, "pop_vlan,output:8"),
		},
		Delete: []Entry{
			entry(1, 20, "dl_vlan=1,dl_dst=z", port, "gone"),
			entry(1, 1, "", NewCookie(CatBase, 0), "drop"),
			entry(3, 5, "dl_vlan=9", port, "output:3"),
		},
		Conflicts: []Entry{
			entry(0, 5, "in_port=1", base, "drop"),
			entry(20, 1, "dl_vlan=1,dl_dst=b", base, "x"),
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Diff:\n got %+v\nwant %+v", c, want)
	}
	if c := Diff(desired[:4], desired[:4]); !c.Empty() {
		t.Fatalf("Diff of equal sets: %+v", c)
	}
}

// Applying a diff to the installed set gives the desired set (for our
// flows), and leaves foreign and learned flows as they were.
func TestDiffApplied(t *testing.T) {
	s := seed()
	old := Compute(s.input("hv1"))
	s.vms = s.vms[:3]                      // vm22 goes
	s.chassis[1].mac = "fa:16:3f:00:00:09" // hv2's DVR MAC changes
	neu := Compute(s.input("hv1"))
	for _, br := range []Bridge{BrInt, BrTun} {
		installed := append(Entries(old.Flows(br)),
			entry(20, 1, "dl_vlan=1,dl_dst=fa:16:3e:00:00:99", NewCookie(CatLearned, 0), "learned"),
			entry(0, 40, "in_port=99", 0x42, "drop"))
		c := Diff(Entries(neu.Flows(br)), installed)
		if c.Empty() || len(c.Conflicts) != 0 {
			t.Fatalf("%s: changes %+v", br, c)
		}
		state := map[Key]Entry{}
		for _, e := range installed {
			state[e.Key] = e
		}
		for _, e := range c.Delete {
			delete(state, e.Key)
		}
		for _, e := range append(c.Add, c.Modify...) {
			state[e.Key] = e
		}
		want := map[Key]Entry{}
		for _, e := range Entries(neu.Flows(br)) {
			want[e.Key] = e
		}
		want[installed[len(installed)-2].Key] = installed[len(installed)-2]
		want[installed[len(installed)-1].Key] = installed[len(installed)-1]
		if !reflect.DeepEqual(state, want) {
			t.Fatalf("%s: applied diff is not the desired state", br)
		}
		if again := Diff(Entries(neu.Flows(br)), Entries(neu.Flows(br))); !again.Empty() {
			t.Fatalf("%s: second diff not empty: %+v", br, again)
		}
	}
}

func TestCookie(t *testing.T) {
	c := NewCookie(CatRemotePort, PortObject(0xabcdef, 0x7fff))
	if !c.Ours() || c.Category() != CatRemotePort || c.Object() != 0xabcdef7fff || c.Learned() {
		t.Fatalf("%v: ours %v category %v object %#x", c, c.Ours(), c.Category(), c.Object())
	}
	if uint64(c) != 0xd7c008abcdef7fff {
		t.Fatalf("cookie %#x", uint64(c))
	}
	if Cookie(0).Ours() || Cookie(0x1).Learned() || !NewCookie(CatLearned, 0).Learned() {
		t.Fatal("ownership")
	}
	for c, want := range map[Cookie]string{
		NewCookie(CatRouterPort, PortObject(2, 1)):              "router-port(datapath=2,port=1)",
		NewCookie(CatRemoteMAC, macObject("fa:16:3f:00:00:02")): "remote-dvr-mac(xx:16:3f:00:00:02)",
		NewCookie(CatTunnel, 0xc0a80002):                        "tunnel(192.168.0.2)",
		NewCookie(CatNetwork, 3):                                "network(vni=3)",
		NewCookie(CatBase, 0):                                   "base",
		Cookie(0x1):                                             "foreign",
	} {
		if got := c.Describe(); got != want {
			t.Errorf("%v.Describe() = %q, want %q", c, got, want)
		}
	}
	if NewCookie(CatBase, 1<<41).Object() != 0 {
		t.Fatal("object not cut to 40 bits")
	}
}

func TestTables(t *testing.T) {
	want := map[Table]string{
		IntLocalSwitching: "0 LOCAL_SWITCHING", IntDVRToSrcMAC: "1 DVR_TO_SRC_MAC",
		IntARPDVRMACToDstMAC: "3 ARP_DVR_MAC_TO_DST_MAC", IntCanary: "23 CANARY_TABLE", IntTransient: "60 TRANSIENT",
		TunLocalSwitching: "0 LOCAL_SWITCHING", TunDVRProcess: "1 DVR_PROCESS", TunPatchLVToTun: "2 PATCH_LV_TO_TUN",
		TunVXLANToLV: "4 VXLAN_TUN_TO_LV", TunDVRNotLearn: "9 DVR_NOT_LEARN", TunLearnFromTun: "10 LEARN_FROM_TUN",
		TunUcastToTun: "20 UCAST_TO_TUN", TunARPResponder: "21 ARP_RESPONDER", TunFloodToTun: "22 FLOOD_TO_TUN",
	}
	n := 0
	for _, br := range []Bridge{BrInt, BrTun} {
		for _, tb := range Tables(br) {
			n++
			if got := itoa(int(tb.Num())) + " " + tb.Name(); got != want[tb] || tb.Bridge() != br {
				t.Errorf("%v: %q on %v, want %q", uint16(tb), got, tb.Bridge(), want[tb])
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d tables listed, want %d", n, len(want))
	}
}
