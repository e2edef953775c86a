package trace

import (
	"strings"
	"testing"
)

// Every hit of our pipeline names its table, its purpose and the SB row.
func TestExplainRoutedToTunnel(t *testing.T) {
	r := explain(t, "routed", seedNames())
	if len(r.Blocks) != 3 || r.Blocks[0].Bridge != "br-int" || r.Blocks[1].Bridge != "br-tun" || r.Blocks[2].Bridge != "br-phy" {
		t.Fatalf("blocks %+v", r.Blocks)
	}
	for _, b := range r.Blocks[:2] {
		for _, h := range b.Hits {
			if h.Owner != "" || h.Purpose == "" || h.Row == "" || h.Row == "no such SB row" || strings.HasPrefix(h.Table, "table ") {
				t.Errorf("%s hit %s not fully annotated: %+v", b.Bridge, h.Table, h)
			}
		}
	}
	if h := r.Blocks[1].Hits[1]; h.Table != "DVR_PROCESS(1)" || h.Row != "Port_Binding r1-sw2 (interface of router r1 on sw2)" {
		t.Errorf("src rewrite hit %+v", h)
	}
	if h := r.Blocks[2].Hits[0]; h.Owner != "not ours" || h.Table != "table 0" || h.Purpose != "" {
		t.Errorf("underlay hit %+v", h)
	}
	want := "left via vxlan-c0a80003 to chassis hv3 (192.168.0.3) with VNI 0x3 (network sw2), src fa:16:3f:00:00:01 (the DVR MAC of chassis hv1)"
	if len(r.Exits) != 1 || r.Exits[0].Kind != ExitTunnel || r.Exits[0].Text != want {
		t.Errorf("exits %+v, want %q", r.Exits, want)
	}
	if len(r.Drops) != 0 {
		t.Errorf("drops %+v", r.Drops)
	}
	txt := r.Text()
	for _, s := range []string{"\nbr-int\n", "\nbr-tun\n", "  table TRANSIENT(60) prio 15  [remote-port(datapath=3,port=3) → Port_Binding vm22 (VM on sw2, chassis hv3)]", "=> " + want + "\n"} {
		if !strings.Contains(txt, s) {
			t.Errorf("text lacks %q:\n%s", s, txt)
		}
	}
}

func TestExplainFromTunnelToVM(t *testing.T) {
	r := explain(t, "fromtun", seedNames())
	want := "delivered to vm21: VM port vm21 on sw2, src fa:16:3e:00:ff:02 (router interface r1-sw2 of r1)"
	if len(r.Exits) != 1 || r.Exits[0].Kind != ExitVM || r.Exits[0].Text != want {
		t.Errorf("exits %+v, want %q", r.Exits, want)
	}
	if h := r.Blocks[0].Hits[0]; h.Row != "Encap 192.168.0.2 of chassis hv2" {
		t.Errorf("tunnel hit %+v", h)
	}
	if h := r.Blocks[0].Hits[2]; h.Row != "DVR_MAC_Binding fa:16:3f:00:00:02 of chassis hv2" || h.Table != "DVR_NOT_LEARN(9)" {
		t.Errorf("remote DVR MAC hit %+v", h)
	}
}

// An ARP request for the gateway floods locally and its br-tun copy is
// dropped in FLOOD_TO_TUN: no exit toward a tunnel.
func TestExplainARPForGateway(t *testing.T) {
	r := explain(t, "arpgw", seedNames())
	for _, e := range r.Exits {
		if e.Kind == ExitTunnel {
			t.Errorf("ARP for the gateway left via a tunnel: %+v", e)
		}
	}
	if len(r.Drops) != 1 || r.Drops[0].Table != "FLOOD_TO_TUN(22)" || !strings.Contains(r.Drops[0].Row, "r1-sw1") {
		t.Errorf("drops %+v", r.Drops)
	}
	if txt := r.Text(); !strings.Contains(txt, "=> a copy was dropped in br-tun FLOOD_TO_TUN(22) by the flow prio 3 arp,dl_vlan=1,arp_tpa=10.0.1.1") {
		t.Errorf("text:\n%s", txt)
	}
}

func TestExplainDropped(t *testing.T) {
	r := explain(t, "deadvlan", seedNames())
	if len(r.Exits) != 0 || len(r.Drops) != 1 {
		t.Fatalf("exits %+v drops %+v", r.Exits, r.Drops)
	}
	if txt := r.Text(); !strings.Contains(txt, "=> dropped in br-int LOCAL_SWITCHING(0) by the flow prio 65535 dl_vlan=4095 [base → the fixed pipeline]\n") {
		t.Errorf("text:\n%s", txt)
	}
	m := explain(t, "foreignmiss", seedNames())
	if len(m.Drops) != 1 || !m.Drops[0].Miss || !strings.Contains(m.Text(), "=> dropped in br-int 7 by a table miss") {
		t.Errorf("miss: %+v\n%s", m.Drops, m.Text())
	}
}

// Flows of another owner are annotated as not ours; flows the learn
// action wrote as learned.
func TestExplainForeignAndLearned(t *testing.T) {
	r := explain(t, "foreignresub", seedNames())
	h := r.Blocks[0].Hits[0]
	if h.Owner != "not ours" || h.Object != "cookie 0x43" || h.Purpose != "" || h.Row != "" {
		t.Errorf("foreign hit %+v", h)
	}
	if !strings.Contains(r.Text(), "table LOCAL_SWITCHING(0) prio 300  [not ours, cookie 0x43]\n") {
		t.Errorf("text:\n%s", r.Text())
	}
	l := explain(t, "learnedhit", seedNames())
	var found bool
	for _, h := range l.Blocks[1].Hits {
		if h.Table == "UCAST_TO_TUN(20)" {
			found = true
			if h.Owner != "learned" || h.Purpose != "a MAC learned from a tunnel (LEARN_FROM_TUN)" || !strings.Contains(h.Row, "OVS's") {
				t.Errorf("learned hit %+v", h)
			}
		}
	}
	if !found {
		t.Error("no UCAST_TO_TUN hit")
	}
	var tunnels int
	for _, e := range l.Exits {
		if e.Kind == ExitTunnel {
			tunnels++
		}
	}
	if tunnels != 1 {
		t.Errorf("exits %+v: want one tunnel (the clone) and local copies", l.Exits)
	}
}

// Without SB names: tables, purposes, categories and raw objects.
func TestExplainWithoutSB(t *testing.T) {
	r := explain(t, "routed", nil)
	h := r.Blocks[0].Hits[0]
	if h.Table != "LOCAL_SWITCHING(0)" || h.Object != "router-port(datapath=3,port=1)" || h.Row != "" || h.Purpose == "" {
		t.Errorf("hit %+v", h)
	}
	if len(r.Exits) != 1 || r.Exits[0].Text != "left via vxlan-c0a80003 to 192.168.0.3 with VNI 0x3, src fa:16:3f:00:00:01" {
		t.Errorf("exits %+v", r.Exits)
	}
}
