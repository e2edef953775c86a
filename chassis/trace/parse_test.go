package trace

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t *testing.T, name string) *Trace {
	t.Helper()
	tr, err := Parse(captured(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A routed frame's trace (OVS 3.1, captured): bridges in order, each hit
// with its table, match, priority, cookie and actions, the notes under
// the tunnel output, and the summary lines.
func TestParseRouted(t *testing.T) {
	tr := mustParse(t, "routed")
	var got []string
	for _, s := range tr.Steps {
		got = append(got, s.Bridge+" "+strconv.Itoa(int(s.Table)))
	}
	want := []string{"br-int 0", "br-int 60", "br-tun 0", "br-tun 1", "br-tun 2", "br-tun 20", "br-phy 0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	s := tr.Steps[0]
	if s.Match != "in_port=3" || s.Prio != 1 || s.Cookie != 0xd7c0060000030001 || s.Parent != -1 ||
		!reflect.DeepEqual(s.Actions, []Action{{Text: "set_field:0x2->reg6"}, {Text: "goto_table:60"}}) {
		t.Errorf("first step %+v", s)
	}
	out := tr.Steps[5].Actions[2]
	if out.Text != "output:3" || len(out.Notes) != 3 || out.Notes[1] != "-> tunneling to 192.168.0.3 via br-phy" {
		t.Errorf("tunnel output %+v", out)
	}
	if phy := tr.Steps[6]; phy.Cookie != 0 || phy.Match != "" || phy.Prio != 0 {
		t.Errorf("br-phy step %+v", phy)
	}
	if !strings.HasPrefix(tr.Datapath, "set(eth(src=fa:16:3f:00:00:01)),tnl_push(") || !strings.HasPrefix(tr.Final, "ip,reg6=0x2") ||
		!strings.HasPrefix(tr.Megaflow, "recirc_id=0") || !strings.HasPrefix(tr.Flow, "ip,in_port=3") {
		t.Errorf("summary %q %q %q %q", tr.Flow, tr.Final, tr.Megaflow, tr.Datapath)
	}
}

// resubmit nests a lookup (indented) inside the resubmitting flow, after
// the action that did it; a miss is "No match."; notes after the
// datapath actions are kept.
func TestParseNestedMissAndNotes(t *testing.T) {
	tr := mustParse(t, "foreignresub")
	if n := tr.Steps[1]; n.Table != 23 || n.Depth != 1 || n.Parent != 0 || n.At != 1 || len(n.Actions) != 1 || n.Actions[0].Text != "drop" {
		t.Errorf("nested step %+v", n)
	}
	if s := tr.Steps[0]; len(s.Actions) != 2 || s.Actions[1].Text != "resubmit(,60)" || s.Cookie != 0x43 {
		t.Errorf("resubmitting step %+v", s)
	}
	if s := tr.Steps[2]; s.Table != 60 || s.Depth != 0 || s.Parent != -1 {
		t.Errorf("tail resubmit %+v", s)
	}
	miss := mustParse(t, "foreignmiss").Steps[1]
	if !miss.Miss || miss.Table != 7 || miss.Parent != -1 || len(miss.Actions) != 1 { // a last-action resubmit is not indented
		t.Errorf("miss %+v", miss)
	}
	if n := mustParse(t, "arpresp").Notes; len(n) != 2 || !strings.Contains(n[0], "slow path") {
		t.Errorf("notes %q", n)
	}
}

// What ovs-appctl prints instead of a trace is the error.
func TestParseErrors(t *testing.T) {
	for text, want := range map[string]string{
		"Bad openflow flow syntax: in_port=vm11,foo=bar: unknown field foo\novs-appctl: /tmp/x/vs.ctl: server returned an error\n": "Bad openflow flow syntax: in_port=vm11,foo=bar: unknown field foo",
		"br-nope: unknown bridge\novs-appctl: /tmp/x/vs.ctl: server returned an error\n":                                           "br-nope: unknown bridge",
		"": "empty output",
	} {
		if _, err := Parse(text); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error %v, want %q", text, err, want)
		}
	}
}

func TestParseDatapath(t *testing.T) {
	as := ParseDatapath(mustParse(t, "learnedhit").Datapath)
	kinds := []DPKind{DPOther, DPOutput, DPOther, DPClone, DPOutput}
	if len(as) != len(kinds) {
		t.Fatalf("%d actions: %+v", len(as), as)
	}
	for i, k := range kinds {
		if as[i].Kind != k {
			t.Errorf("action %d %q: kind %d, want %d", i, as[i].Text, as[i].Kind, k)
		}
	}
	c := as[3].Clone
	if len(c) != 2 || c[0].Kind != DPTunnel || c[0].VNI != 2 || c[0].TunnelDst != netip.MustParseAddr("192.168.0.2") || c[1].Port != 5 {
		t.Errorf("clone %+v", c)
	}
	// The kernel datapath's form of a tunnel output.
	k := ParseDatapath("set(eth(src=fa:16:3f:00:00:01)),set(tunnel(tun_id=0x10,dst=10.0.0.2,ttl=64,tp_dst=4789,flags(df|key))),4")
	if k[0].EthSrc != "fa:16:3f:00:00:01" || k[1].Kind != DPTunnel || k[1].VNI != 0x10 || k[1].TunnelDst != netip.MustParseAddr("10.0.0.2") || k[2].Port != 4 {
		t.Errorf("kernel form %+v", k)
	}
	if d := ParseDatapath("drop"); len(d) != 1 || d[0].Kind != DPDrop {
		t.Errorf("drop %+v", d)
	}
}

func TestParseDpifShow(t *testing.T) {
	ps := ParseDpifShow(captured(t, "dpifshow"))
	if len(ps) != 12 {
		t.Fatalf("%d ports: %+v", len(ps), ps)
	}
	if p, ok := ps.ByDP(21); !ok || p.Name != "vm21" || p.Bridge != "br-int" || p.OfPort != 5 {
		t.Errorf("dp 21: %+v %v", p, ok)
	}
	if p, ok := ps.ByRemoteIP(netip.MustParseAddr("192.168.0.3")); !ok || p.Name != "vxlan-c0a80003" || p.OfPort != 3 || p.Bridge != "br-tun" {
		t.Errorf("tunnel: %+v %v", p, ok)
	}
	if p, ok := ps.ByOfPort("br-int", 1); !ok || p.Name != "patch-tun" || p.DPPort != -1 {
		t.Errorf("patch: %+v %v", p, ok)
	}
	if !ps.IsTunnelDP(4789) || ps.IsTunnelDP(5) {
		t.Error("IsTunnelDP")
	}
}
