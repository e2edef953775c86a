package ofctrl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// setup is one OVS with br-int of the first input, its flows installed.
func setup(t *testing.T) (*ovs, *installer, []flows.Entry) {
	t.Helper()
	in := inputs()[0]
	o := startOVS(t)
	o.addChassis(in)
	want := flows.Entries(flows.Compute(in).Int)
	b := o.installer("br-int")
	rep := b.sync(t, want)
	mustNoRejection(t, rep)
	o.mustMatch("br-int", want)
	return o, b, want
}

// Adds, modifies (other actions, other cookie) and deletes reach OVS in
// one bundle; a second Sync with the same flows sends nothing.
func TestSyncAddModifyDelete(t *testing.T) {
	o, b, want := setup(t)
	rep := b.sync(t, want)
	if rep.FlowMods != 0 || rep.ReadBack || rep.Added+rep.Modified+rep.Deleted != 0 {
		t.Fatalf("second Sync of the same flows: %+v, want nothing sent", rep)
	}
	next := append([]flows.Entry(nil), want[1:]...)    // delete want[0]
	next[0].Actions = "drop"                           // modify: actions
	next[1].Cookie = flows.NewCookie(flows.CatBase, 7) // modify: cookie only
	next = append(next, flows.Entry{Key: flows.Key{Table: 23, Priority: 9, Match: "dl_vlan=77"},
		Cookie: flows.NewCookie(flows.CatBase, 0), Actions: "drop"})
	rep = b.sync(t, next)
	mustNoRejection(t, rep)
	if rep.Added != 1 || rep.Modified != 2 || rep.Deleted != 1 || rep.FlowMods != 4 {
		t.Fatalf("report %+v, want 1 add, 2 modifies, 1 delete", rep)
	}
	o.mustMatch("br-int", next)
	if b.Installed() != len(next) {
		t.Fatalf("Installed() = %d, want %d", b.Installed(), len(next))
	}
	if rep := b.sync(t, next); rep.FlowMods != 0 {
		t.Fatalf("idempotence: %+v", rep)
	}
	// Nothing desired: every flow of ours goes.
	rep = b.sync(t, nil)
	if rep.Deleted != len(next) || b.Installed() != 0 {
		t.Fatalf("report %+v, installed %d; want %d deletes", rep, b.Installed(), len(next))
	}
	o.mustMatch("br-int", nil)
}

// ovs-vswitchd restarts: the flows are gone, and the next Sync (after the
// reconnect's Poke) reads back an empty table and reinstalls everything.
func TestSyncAfterVswitchdRestart(t *testing.T) {
	o, b, want := setup(t)
	if err := o.hv.RestartVswitchd(); err != nil {
		t.Fatal(err)
	}
	b.waitPoke(t)
	if n := len(o.dump("br-int")); n != 0 {
		t.Fatalf("%d flows survived the restart", n)
	}
	rep := b.sync(t, want)
	if !rep.ReadBack || rep.Added != len(want) {
		t.Fatalf("report %+v, want a read-back and %d adds", rep, len(want))
	}
	o.mustMatch("br-int", want)
}

// Only the connection drops: the flows are still there, the next Sync
// reads them back and sends nothing.
func TestSyncAfterConnectionDrop(t *testing.T) {
	o, b, want := setup(t)
	b.Drop()
	b.waitPoke(t)
	before := b.FlowMods()
	rep := b.sync(t, want)
	if !rep.ReadBack || rep.FlowMods != 0 || b.FlowMods() != before {
		t.Fatalf("report %+v, want a read-back and 0 flow-mods", rep)
	}
	if b.Installed() != len(want) {
		t.Fatalf("Installed() = %d after the read-back, want %d", b.Installed(), len(want))
	}
	o.mustMatch("br-int", want)
}

// Flows the same ovs-ofctl text installs (not through us) read back as
// ours and equal: our encoding is the one OVS gives ovs-ofctl's flows.
func TestReadBackOfOfctlFlows(t *testing.T) {
	for _, in := range inputs() {
		o := startOVS(t)
		o.addChassis(in)
		r := flows.Compute(in)
		for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
			file := filepath.Join(o.hv.Dir, br.String()+".flows")
			if err := os.WriteFile(file, []byte(flows.Render(r.Flows(br), false)), 0o644); err != nil {
				t.Fatal(err)
			}
			o.ofctl("add-flows", br.String(), file)
			want := flows.Entries(r.Flows(br))
			b := o.installer(br.String())
			rep := b.sync(t, want)
			if !rep.ReadBack || rep.FlowMods != 0 || b.Installed() != len(want) {
				t.Fatalf("%s: report %+v, installed %d; want %d flows read back as installed, nothing sent",
					br, rep, b.Installed(), len(want))
			}
		}
	}
}

// A foreign flow (cookie 0x1234) and a learned one survive every Sync; a
// stale flow of ours that an operator added is deleted once read back.
func TestForeignSurvivesStaleDeleted(t *testing.T) {
	o, b, want := setup(t)
	o.ofctl("add-flow", "br-int", "cookie=0x1234,table=22,priority=7,dl_vlan=99,actions=drop")
	o.ofctl("add-flow", "br-int", "cookie=0xd7c0090000000000,table=60,priority=1,dl_vlan=98,actions=drop") // learned
	o.ofctl("add-flow", "br-int", "cookie=0xd7c0010000000000,table=22,priority=7,dl_vlan=97,actions=drop") // stale, ours
	// Without a read-back the installer does not know the stale flow.
	if rep := b.sync(t, want); rep.FlowMods != 0 {
		t.Fatalf("report %+v", rep)
	}
	b.Drop()
	b.waitPoke(t)
	rep := b.sync(t, want)
	if !rep.ReadBack || rep.Deleted != 1 || rep.FlowMods != 1 {
		t.Fatalf("report %+v, want the stale flow deleted and nothing else", rep)
	}
	for i := 0; i < 2; i++ {
		if rep := b.sync(t, want[1:]); i == 0 && rep.Deleted != 1 {
			t.Fatalf("report %+v, want one delete", rep)
		}
	}
	got := o.dump("br-int")
	var foreign, learned, stale int
	for _, e := range got {
		switch {
		case e.Cookie == 0x1234:
			foreign++
		case e.Cookie.Learned():
			learned++
		case e.Match == "dl_vlan=97":
			stale++
		}
	}
	if foreign != 1 || learned != 1 || stale != 0 {
		t.Fatalf("foreign %d, learned %d, stale %d after the Syncs, want 1, 1, 0:\n%v", foreign, learned, stale, got)
	}
	o.mustMatch("br-int", want[1:])
}

// A flow OVS rejects at decode time (goto_table backwards) is reported
// with OVS's error and the rest is applied; it is not sent again while it
// stays desired unchanged.
func TestRejectedFlowReported(t *testing.T) {
	o, b, want := setup(t)
	bad := flows.Entry{Key: flows.Key{Table: 60, Priority: 33, Match: "dl_vlan=9"},
		Cookie: flows.NewCookie(flows.CatBase, 0), Actions: "goto_table:3"}
	unknown := flows.Entry{Key: flows.Key{Table: 60, Priority: 34, Match: "dl_vlan=9"},
		Cookie: flows.NewCookie(flows.CatBase, 0), Actions: "mod_vlan_vid:4"}
	good := flows.Entry{Key: flows.Key{Table: 60, Priority: 35, Match: "dl_vlan=9"},
		Cookie: flows.NewCookie(flows.CatBase, 0), Actions: "drop"}
	desired := append(append([]flows.Entry(nil), want...), bad, unknown, good)
	rep := b.sync(t, desired)
	if rep.Added != 1 || len(rep.Rejected) != 2 {
		t.Fatalf("report %+v, want 1 add and 2 rejections", rep)
	}
	for _, r := range rep.Rejected {
		var oe *OFError
		switch r.Entry {
		case bad:
			if !errors.As(r.Err, &oe) || oe.Type != 3 || oe.Code != 2 || !strings.Contains(r.Err.Error(), "OFPBIC_BAD_TABLE_ID") {
				t.Errorf("rejection of %s: %v, want OFPBIC_BAD_TABLE_ID", r.Entry, r.Err)
			}
		case unknown:
			if !strings.Contains(r.Err.Error(), `"mod_vlan_vid:4"`) || !strings.Contains(r.Err.Error(), "priority=34") {
				t.Errorf("rejection of %s: %v, want the token and the flow named", r.Entry, r.Err)
			}
		default:
			t.Errorf("unexpected rejection %s", r)
		}
	}
	o.mustMatch("br-int", append(append([]flows.Entry(nil), want...), good))
	rep = b.sync(t, desired)
	if rep.FlowMods != 0 || rep.StillRejected != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("second Sync: %+v, want nothing sent and 2 still rejected", rep)
	}
	if b.Installed() != len(want)+1 {
		t.Fatalf("Installed() = %d, want %d", b.Installed(), len(want)+1)
	}
}

// A bridge whose protocols exclude OpenFlow 1.3 gives an error that says
// so and names the bridge.
func TestProtocolsWithoutOpenFlow13(t *testing.T) {
	o, b, want := setup(t)
	o.hv.MustVsctl("set", "bridge", "br-int", "protocols=OpenFlow10")
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		_, err = b.Sync(context.Background(), want)
		if err != nil && strings.Contains(err.Error(), "OpenFlow13") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "br-int") || !strings.Contains(err.Error(), "OpenFlow13") {
		t.Fatalf("Sync error %v, want one naming br-int and OpenFlow13", err)
	}
	t.Logf("error: %v", err)
	if b.Connected() {
		t.Fatal("Connected() with protocols=OpenFlow10")
	}
	// Back to 1.3: the installer reconnects and reads back.
	o.hv.MustVsctl("set", "bridge", "br-int", "protocols=OpenFlow13")
	b.waitPoke(t)
	if rep := b.sync(t, want); !rep.ReadBack || rep.FlowMods != 0 {
		t.Fatalf("after protocols came back: %+v", rep)
	}
}
