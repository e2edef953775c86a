package flows

import (
	"strconv"
	"strings"
	"testing"
)

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// lines is the result's flows of one table as "priority=P match actions=A"
// (numeric), in order.
func lines(r Result, t Table) []string {
	var out []string
	for _, f := range r.Flows(t.Bridge()) {
		if f.Table == t {
			out = append(out, lineOf(f))
		}
	}
	return out
}

func lineOf(f Flow) string {
	return "priority=" + itoa(int(f.Priority)) + " " + f.Match.String() + " actions=" + f.Actions.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// find is the flow of table t with that priority and match, if any.
func find(r Result, t Table, prio uint16, match string) (Flow, bool) {
	for _, f := range r.Flows(t.Bridge()) {
		if f.Table == t && f.Priority == prio && f.Match.String() == match {
			return f, true
		}
	}
	return Flow{}, false
}

// mustFind fails unless the flow exists with these actions.
func mustFind(t *testing.T, r Result, tb Table, prio uint16, match, actions string) Flow {
	t.Helper()
	f, ok := find(r, tb, prio, match)
	if !ok {
		t.Fatalf("no flow %s priority=%d %s; table has:\n%s", tb, prio, match, strings.Join(lines(r, tb), "\n"))
	}
	if got := f.Actions.String(); got != actions {
		t.Fatalf("%s priority=%d %s: actions\n  %s\nwant\n  %s", tb, prio, match, got, actions)
	}
	return f
}

func mustNotFind(t *testing.T, r Result, tb Table, prio uint16, match string) {
	t.Helper()
	if f, ok := find(r, tb, prio, match); ok {
		t.Fatalf("unexpected flow %s %s", tb, lineOf(f))
	}
}

// count is the number of flows in table t with that priority.
func count(r Result, t Table, prio uint16) int {
	n := 0
	for _, f := range r.Flows(t.Bridge()) {
		if f.Table == t && f.Priority == prio {
			n++
		}
	}
	return n
}

// small is one chassis (hv1, ofports as named) with one network sw1
// (VNI 2, VLAN 5), router r1's interface on it (qr- ofport 7), a local VM
// vm11 (ofport 8) and a remote VM vm12 on hv2 (tunnel ofport 3).
func small() Input {
	return Input{
		Chassis:  "hv1",
		DVRMAC:   "fa:16:3f:00:00:01",
		PatchTun: Port{"patch-tun", 1},
		PatchInt: Port{"patch-int", 2},
		Remotes: []Remote{
			{Name: "hv2", DVRMAC: "fa:16:3f:00:00:02", EncapIP: "192.168.0.2", Tunnel: Port{"vxlan-c0a80002", 3}},
		},
		Networks: []Network{{Name: "sw1", Key: 2, VLAN: 5}},
		Interfaces: []Interface{{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01",
			Addrs: []string{"10.0.1.1/24"}, Router: "r1", Hosted: true, QR: Port{"qr-r1-sw1", 7}}},
		LocalPorts: []LocalPort{{Name: "vm11", Network: 2, Key: 2, MAC: "fa:16:3e:00:01:0b",
			IPs: []string{"10.0.1.11"}, Port: Port{"vm11", 8}}},
		RemotePorts: []RemotePort{{Name: "vm12", Network: 2, Key: 3, MAC: "fa:16:3e:00:01:0c",
			IPs: []string{"10.0.1.12"}, Chassis: "hv2"}},
	}
}
